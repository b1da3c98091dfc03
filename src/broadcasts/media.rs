//! The media folder: the only place a broadcaster's files come from. A request names a file
//! by its plain name; it is accepted only if it is a video or sound file lying directly in the
//! folder once every symlink is resolved. Paths, `..`, URLs and ffmpeg protocol strings never
//! pass.

use std::path::{Path, PathBuf};

/// File extensions the studio offers: video files, and files of sound alone (broadcast in one
/// rung of sound alone, as a radio show or a podcast).
const EXTENSIONS: &[&str] = &["mp4", "m4v", "mov", "mkv", "webm", "ts", "flv", "avi"];
const SOUND_EXTENSIONS: &[&str] = &["m4a", "mp3", "aac", "ogg", "opus", "flac", "wav"];
const NAME_MAX: usize = 255;

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum MediaError {
    #[error("Pick a file from the media folder (a plain file name, not a path or address).")]
    NotAPlainName,
    #[error(
        "Only video files ({}) and sound files ({}) can be broadcast.",
        EXTENSIONS.join(", "),
        SOUND_EXTENSIONS.join(", ")
    )]
    NotMedia,
    #[error("There is no file named {0} in the media folder.")]
    Missing(String),
    #[error("{0} is not inside the media folder.")]
    Outside(String),
    #[error("The media folder cannot be read: {0}")]
    Folder(String),
}

#[derive(Clone, Debug)]
pub struct MediaFolder {
    dir: PathBuf,
}

impl MediaFolder {
    /// The folder at `dir`, created if missing.
    pub fn new(dir: &Path) -> Self {
        if let Err(err) = std::fs::create_dir_all(dir) {
            tracing::warn!(dir = %dir.display(), %err, "cannot create the media folder");
        }
        Self {
            dir: dir.to_path_buf(),
        }
    }

    /// The names a broadcaster can pick, sorted.
    pub fn list(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| self.resolve(name).is_ok())
            .collect();
        names.sort();
        names
    }

    /// The canonical path of the file called `name`, if it may be broadcast.
    pub fn resolve(&self, name: &str) -> Result<PathBuf, MediaError> {
        check_name(name)?;
        let folder = self
            .dir
            .canonicalize()
            .map_err(|err| MediaError::Folder(err.to_string()))?;
        let path = folder
            .join(name)
            .canonicalize()
            .map_err(|_| MediaError::Missing(name.to_string()))?;
        if path.parent() != Some(folder.as_path()) || !path.is_file() {
            return Err(MediaError::Outside(name.to_string()));
        }
        Ok(path)
    }
}

/// Whether the file called `name` is of sound alone (by its extension).
pub fn is_sound_alone(name: &str) -> bool {
    extension(name).is_some_and(|ext| SOUND_EXTENSIONS.contains(&ext.as_str()))
}

fn extension(name: &str) -> Option<String> {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// A plain file name with a video or sound extension: no separators, no `..`, no `scheme:`, no
/// hidden or option-like names, no control characters.
fn check_name(name: &str) -> Result<(), MediaError> {
    let plain = !name.is_empty()
        && name.len() <= NAME_MAX
        && !name.starts_with('.')
        && !name.starts_with('-')
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c == ':' || c == '|' || c.is_control());
    if !plain {
        return Err(MediaError::NotAPlainName);
    }
    match extension(name) {
        Some(ext) if EXTENSIONS.contains(&ext.as_str()) || is_sound_alone(name) => Ok(()),
        _ => Err(MediaError::NotMedia),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with_files() -> (tempfile::TempDir, MediaFolder) {
        let root = tempfile::tempdir().unwrap();
        let media = root.path().join("media");
        std::fs::create_dir(&media).unwrap();
        std::fs::write(media.join("talk.mp4"), b"video").unwrap();
        std::fs::write(media.join("Song.MKV"), b"video").unwrap();
        std::fs::write(media.join("show.mp3"), b"sound").unwrap();
        std::fs::write(media.join("notes.txt"), b"text").unwrap();
        std::fs::write(root.path().join("secret.mp4"), b"outside").unwrap();
        std::fs::create_dir(media.join("sub.mp4")).unwrap();
        std::os::unix::fs::symlink(root.path().join("secret.mp4"), media.join("escape.mp4"))
            .unwrap();
        std::os::unix::fs::symlink(media.join("talk.mp4"), media.join("alias.mp4")).unwrap();
        let folder = MediaFolder::new(&media);
        (root, folder)
    }

    #[test]
    fn the_studio_lists_only_video_and_sound_files_inside_the_folder() {
        let (_root, folder) = folder_with_files();
        assert_eq!(
            folder.list(),
            ["Song.MKV", "alias.mp4", "show.mp3", "talk.mp4"]
        );
        assert!(is_sound_alone("show.mp3") && is_sound_alone("Radio.M4A"));
        assert!(!is_sound_alone("talk.mp4") && !is_sound_alone("notes.txt"));
        assert_eq!(folder.resolve("notes.txt"), Err(MediaError::NotMedia));
    }

    #[test]
    fn a_file_in_the_folder_resolves_to_its_canonical_path() {
        let (root, folder) = folder_with_files();
        let media = root.path().join("media").canonicalize().unwrap();
        assert_eq!(folder.resolve("talk.mp4"), Ok(media.join("talk.mp4")));
        assert_eq!(folder.resolve("alias.mp4"), Ok(media.join("talk.mp4")));
    }

    #[test]
    fn nothing_outside_the_folder_can_be_named() {
        let (root, folder) = folder_with_files();
        let absolute = root.path().join("secret.mp4").display().to_string();
        let refused = [
            "../secret.mp4",
            "..",
            "sub/../../secret.mp4",
            absolute.as_str(),
            "/etc/passwd",
            "escape.mp4",
            "sub.mp4",
            "concat:talk.mp4|talk.mp4",
            "file:talk.mp4",
            "http://example.com/a.mp4",
            "lavfi:testsrc.mp4",
            "subfile,,start,0,end,0,,:talk.mp4",
            "-i.mp4",
            ".hidden.mp4",
            "talk.mp4\n",
            "notes.txt",
            "lavfi",
            "",
            "missing.mp4",
        ];
        for name in refused {
            assert!(folder.resolve(name).is_err(), "{name:?} must be refused");
        }
        assert_eq!(
            folder.resolve("escape.mp4"),
            Err(MediaError::Outside("escape.mp4".into()))
        );
        assert_eq!(
            folder.resolve("../secret.mp4"),
            Err(MediaError::NotAPlainName)
        );
    }
}
