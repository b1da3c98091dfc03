//! Runtime settings. `Leptos.toml` is the one source of defaults (compiled in); a copy on disk
//! (./Leptos.toml or $ONAIR_CONFIG) and then `ONAIR_<SECTION>_<KEY>` variables override it.
//! The cargo-leptos build settings the server needs are read from Cargo.toml at compile time.

use leptos::config::LeptosOptions;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::serve::ServeConfig;
use super::site::Site;
use super::sse::EventStreams;

use crate::broadcasts::BroadcastConfig;
use crate::broadcasts::encoder::Encoder;
use crate::broadcasts::registry::MaxLive;
use crate::broadcasts::source::Encoding;
use crate::child_process::ChildLimits;
use crate::ingest::IngestConfig;
use crate::ingest::connection::Deadlines;
use crate::live::hub::HubConfig;
use crate::open_connections::{Caps, OpenConnections};
use crate::recordings::storage::objects::{self, ObjectsConfig};
use crate::renditions::ladder::{self, RungSetting};

const DEFAULTS: &str = include_str!("../../Leptos.toml");
const CARGO_TOML: &str = include_str!("../../Cargo.toml");
const ENV_PREFIX: &str = "ONAIR_";

/// Settings that are gone, and what replaces them (section, key, what to do instead).
const REMOVED: &[(&str, &str, &str)] = &[(
    "accounts",
    "operators",
    "a name in the settings made whoever signed up with it first an operator; grant an \
     existing account with `onair operator add NAME` instead",
)];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub accounts: AccountsSettings,
    pub chat: ChatSettings,
    pub ffmpeg: FfmpegSettings,
    pub live: LiveSettings,
    pub demo: DemoSettings,
    pub broadcast: BroadcastSettings,
    pub database: DatabaseSettings,
    pub media: MediaSettings,
    pub rtmp: RtmpSettings,
    pub cluster: ClusterSettings,
    pub metrics: MetricsSettings,
    pub renditions: RenditionsSettings,
    pub recordings: RecordingsSettings,
    pub webhooks: WebhooksSettings,
    pub restream: RestreamSettings,
    pub push: PushSettings,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSettings {
    pub enabled: bool,
    pub contact: String,
    pub timeout_secs: u64,
    pub allow_private: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestreamSettings {
    pub max_destinations: usize,
    pub allow_private: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksSettings {
    pub allow_private: bool,
    pub timeout_secs: u64,
    pub attempts: u32,
    pub retry_after_ms: u64,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingsSettings {
    pub enabled: bool,
    pub dir: std::path::PathBuf,
    pub keep_days: u64,
    pub max_total_mib: u64,
    pub store: String,
    pub store_endpoint: String,
    pub store_region: String,
    pub store_access_key: String,
    pub store_secret_key: String,
}

impl std::fmt::Debug for RecordingsSettings {
    /// Never shows the store's secret key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingsSettings")
            .field("enabled", &self.enabled)
            .field("dir", &self.dir)
            .field("keep_days", &self.keep_days)
            .field("max_total_mib", &self.max_total_mib)
            .field("store", &self.store)
            .field("store_endpoint", &self.store_endpoint)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenditionsSettings {
    pub ladder: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    pub enabled: bool,
    pub token: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSettings {
    pub nats_url: String,
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RtmpSettings {
    pub addr: SocketAddr,
    pub public_url: String,
    pub grace_secs: u64,
    pub transcode: bool,
    pub publish_timeout_secs: u64,
    pub idle_timeout_secs: u64,
    pub max_connections: usize,
    pub max_per_address: usize,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub addr: SocketAddr,
    pub keep_alive_secs: u64,
    pub header_timeout_secs: u64,
    pub send_buffer_kib: usize,
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    pub trusted_proxies: String,
    pub drain_secs: u64,
    pub write_timeout_secs: u64,
    pub secure_cookies: bool,
    pub public_hosts: String,
    pub tls_cert: std::path::PathBuf,
    pub tls_key: std::path::PathBuf,
}

impl ServerSettings {
    /// Whether browsers reach the site over HTTPS (served here, or by a proxy in front).
    pub fn https(&self) -> bool {
        self.secure_cookies || !self.tls_cert.as_os_str().is_empty()
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    pub retention_days: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsSettings {
    pub signups_per_address_per_hour: u32,
    pub session_lifetime_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub path: std::path::PathBuf,
    /// `postgres://…`: PostgreSQL, shared by a cluster's instances; empty: SQLite at `path`.
    pub url: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    pub dir: std::path::PathBuf,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FfmpegSettings {
    pub path: String,
    pub fragment_ms: u32,
    pub keyframe_secs: u32,
    pub max_restarts: u32,
    pub max_memory_mib: u64,
    pub encoder: String,
    pub vaapi_device: std::path::PathBuf,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveSettings {
    pub hold_secs: u64,
    pub max_held_mib: usize,
    pub max_lag_ms: u64,
    pub max_streams_per_address: usize,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    pub enabled: bool,
    pub title: String,
    pub record: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroadcastSettings {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub video_kbps: u32,
    pub audio_kbps: u32,
    pub max_live: usize,
    pub max_remuxed: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid settings file {path}: {source}")]
    Parse {
        path: String,
        source: toml::de::Error,
    },
    #[error("{0} does not name a setting (expected ONAIR_<SECTION>_<KEY> from Leptos.toml)")]
    UnknownVariable(String),
    #[error("{name}={value}: expected {expected}")]
    BadValue {
        name: String,
        value: String,
        expected: &'static str,
    },
    #[error("invalid settings: {0}")]
    Invalid(toml::de::Error),
    #[error("{name} is no longer a setting: {instead}")]
    Removed { name: String, instead: &'static str },
    #[error("server.tls_cert and server.tls_key: {0}")]
    Tls(String),
    #[error("[renditions] ladder: {0}")]
    Ladder(String),
    #[error("[ffmpeg] encoder: {0}")]
    Encoder(String),
    #[error("[recordings] store: {0}")]
    Store(String),
}

impl Settings {
    /// The settings this process runs with: file, then environment.
    pub fn load() -> Result<Self, SettingsError> {
        let path = std::env::var("ONAIR_CONFIG").ok();
        let file = match &path {
            Some(path) => Some(read(path)?),
            None => std::fs::read_to_string("Leptos.toml")
                .ok()
                .map(|text| (text, "Leptos.toml".to_string())),
        };
        let vars = std::env::vars().filter(|(name, _)| name != "ONAIR_CONFIG");
        Self::from_sources(
            file.as_ref()
                .map(|(text, path)| (text.as_str(), path.as_str())),
            vars,
        )
    }

    /// The compiled-in defaults with `vars` applied (tests use this).
    pub fn with_overrides<'a>(
        vars: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SettingsError> {
        Self::from_sources(
            None,
            vars.into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    fn from_sources(
        file: Option<(&str, &str)>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let mut table = parse(DEFAULTS, "compiled-in Leptos.toml")?;
        if let Some((text, path)) = file {
            overlay(&mut table, parse(text, path)?);
        }
        for (section, key, instead) in REMOVED {
            if table
                .get(*section)
                .and_then(|s| s.as_table())
                .is_some_and(|s| s.contains_key(*key))
            {
                let name = format!("[{section}] {key}");
                return Err(SettingsError::Removed { name, instead });
            }
        }
        for (name, value) in vars {
            if let Some(rest) = name.strip_prefix(ENV_PREFIX) {
                let rest = rest.to_ascii_lowercase();
                if let Some((_, _, instead)) = REMOVED
                    .iter()
                    .find(|(section, key, _)| rest == format!("{section}_{key}"))
                {
                    return Err(SettingsError::Removed { name, instead });
                }
                apply_variable(&mut table, &name, &rest, &value)?;
            }
        }
        let settings: Self = toml::Value::Table(table)
            .try_into()
            .map_err(SettingsError::Invalid)?;
        settings.ladder()?;
        settings.encoder()?;
        settings.objects()?;
        Ok(settings)
    }

    /// The quality ladder every broadcast is made in (checked when the settings load).
    fn ladder(&self) -> Result<Vec<RungSetting>, SettingsError> {
        ladder::parse(&self.renditions.ladder).map_err(SettingsError::Ladder)
    }

    /// The object store recordings are kept in, if any (checked when the settings load).
    fn objects(&self) -> Result<Option<ObjectsConfig>, SettingsError> {
        let r = &self.recordings;
        if r.store.is_empty() {
            return Ok(None);
        }
        objects::bucket_and_prefix(&r.store).map_err(SettingsError::Store)?;
        Ok(Some(ObjectsConfig {
            url: r.store.clone(),
            endpoint: r.store_endpoint.clone(),
            region: r.store_region.clone(),
            access_key: r.store_access_key.clone(),
            secret_key: r.store_secret_key.clone(),
        }))
    }

    /// The H.264 encoder (checked when the settings load).
    fn encoder(&self) -> Result<Encoder, SettingsError> {
        Encoder::named(&self.ffmpeg.encoder, self.ffmpeg.vaapi_device.clone())
            .map_err(SettingsError::Encoder)
    }

    pub fn restream(&self) -> crate::restream::RestreamConfig {
        crate::restream::RestreamConfig {
            ffmpeg: self.ffmpeg.path.clone(),
            limits: self.child_limits(),
            max_destinations: self.restream.max_destinations,
            allow_private: self.restream.allow_private,
        }
    }

    pub fn push(&self) -> crate::push::PushConfig {
        let p = &self.push;
        crate::push::PushConfig {
            enabled: p.enabled,
            allow_private: p.allow_private,
            contact: p.contact.clone(),
            timeout: Duration::from_secs(p.timeout_secs.max(1)),
        }
    }

    pub fn webhooks(&self) -> crate::webhooks::WebhookConfig {
        let w = &self.webhooks;
        crate::webhooks::WebhookConfig {
            allow_private: w.allow_private,
            timeout: Duration::from_secs(w.timeout_secs.max(1)),
            attempts: w.attempts.max(1),
            retry_after: Duration::from_millis(w.retry_after_ms),
        }
    }

    pub fn hub(&self) -> HubConfig {
        HubConfig {
            hold: Duration::from_secs(self.live.hold_secs),
            max_held_bytes: self.live.max_held_mib << 20,
            max_lag: Duration::from_millis(self.live.max_lag_ms),
        }
    }

    /// How broadcasts are run and encoded.
    pub fn recordings(&self) -> crate::recordings::RecordingsConfig {
        crate::recordings::RecordingsConfig {
            enabled: self.recordings.enabled,
            dir: self.recordings.dir.clone(),
            objects: self.objects().unwrap_or_default(),
            ffmpeg: self.ffmpeg.path.clone(),
            limits: self.child_limits(),
            retention: crate::recordings::retention::Retention {
                keep_days: self.recordings.keep_days,
                max_total_bytes: self.recordings.max_total_mib.saturating_mul(1 << 20),
            },
            unrecorded: if self.demo.record {
                Vec::new()
            } else {
                vec![super::demo::CHANNEL.to_string()]
            },
        }
    }

    pub fn broadcasts(&self) -> BroadcastConfig {
        let (b, f) = (&self.broadcast, &self.ffmpeg);
        BroadcastConfig {
            ffmpeg: f.path.clone(),
            child_limits: self.child_limits(),
            max_restarts: f.max_restarts,
            encoding: Encoding {
                width: b.width,
                height: b.height,
                fps: b.fps,
                video_kbps: b.video_kbps,
                audio_kbps: b.audio_kbps,
                fragment_ms: f.fragment_ms,
                keyframe_secs: f.keyframe_secs,
                encoder: self.encoder().unwrap_or(Encoder::Software),
            },
            width: b.width,
            height: b.height,
            ladder: self.ladder().unwrap_or_else(|_| vec![RungSetting::Source]),
            media_dir: self.media.dir.clone(),
            max_live: MaxLive {
                encoded: b.max_live,
                remuxed: b.max_remuxed,
            },
        }
    }

    /// What each ffmpeg may take.
    pub fn child_limits(&self) -> ChildLimits {
        ChildLimits {
            memory_bytes: self.ffmpeg.max_memory_mib.max(64) << 20,
            cpu_secs: None,
        }
    }

    /// How RTMP ingest runs.
    pub fn ingest(&self) -> IngestConfig {
        IngestConfig {
            grace: Duration::from_secs(self.rtmp.grace_secs),
            transcode: self.rtmp.transcode,
            public_url: self.rtmp.public_url.clone(),
        }
    }

    /// Live-event streams: open at once per client; stalled once not read for the write
    /// timeout (and never before four keep-alive beats have gone unread).
    pub fn event_streams(&self) -> EventStreams {
        EventStreams {
            open: OpenConnections::new(Caps {
                total: usize::MAX,
                per_address: match self.live.max_streams_per_address {
                    0 => usize::MAX,
                    n => n,
                },
            }),
            stalled_after: Duration::from_secs(
                self.server
                    .write_timeout_secs
                    .max(self.server.keep_alive_secs * 2)
                    .max(1),
            ),
        }
    }

    /// This site's host names and scheme.
    pub fn site(&self) -> Site {
        Site::new(&self.server.public_hosts, self.server.https())
    }

    /// How HTTP connections are accepted and served.
    pub fn serving(&self) -> Result<ServeConfig, SettingsError> {
        let s = &self.server;
        let trusted_proxies = s
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse().map_err(|_| SettingsError::BadValue {
                    name: "server.trusted_proxies".into(),
                    value: p.to_string(),
                    expected: "IP addresses separated by commas",
                })
            })
            .collect::<Result<Vec<IpAddr>, _>>()?;
        Ok(ServeConfig {
            send_buffer: s.send_buffer_kib * 1024,
            header_timeout: Duration::from_secs(s.header_timeout_secs.max(1)),
            caps: Caps {
                total: s.max_connections.max(1),
                per_address: match s.max_connections_per_address {
                    0 => usize::MAX,
                    n => n,
                },
            },
            trusted_proxies: trusted_proxies.into(),
            drain: Duration::from_secs(s.drain_secs),
            write_timeout: Duration::from_secs(s.write_timeout_secs.max(1)),
            tls: self.tls()?,
        })
    }

    /// The TLS acceptor, when a certificate and key are set (one without the other is an error).
    fn tls(&self) -> Result<Option<tokio_rustls::TlsAcceptor>, SettingsError> {
        let s = &self.server;
        match (
            s.tls_cert.as_os_str().is_empty(),
            s.tls_key.as_os_str().is_empty(),
        ) {
            (true, true) => Ok(None),
            (false, false) => super::tls::acceptor(&s.tls_cert, &s.tls_key)
                .map(Some)
                .map_err(|err| SettingsError::Tls(err.to_string())),
            _ => Err(SettingsError::Tls("set both, or neither".into())),
        }
    }

    /// The RTMP port's caps and deadlines.
    pub fn rtmp_limits(&self) -> (Caps, Deadlines) {
        let r = &self.rtmp;
        (
            Caps {
                total: r.max_connections,
                per_address: r.max_per_address,
            },
            Deadlines {
                publish_within: Duration::from_secs(r.publish_timeout_secs.max(1)),
                idle: Duration::from_secs(r.idle_timeout_secs.max(1)),
            },
        )
    }

    /// Leptos' options: names from Cargo.toml's cargo-leptos metadata, our listen address.
    /// `LEPTOS_SITE_ROOT` (set by cargo-leptos) may move the static files.
    pub fn leptos_options(&self) -> LeptosOptions {
        let build = build_metadata();
        let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or(build.site_root);
        LeptosOptions::builder()
            .output_name(build.output_name)
            .site_root(site_root)
            .site_pkg_dir(build.site_pkg_dir)
            .site_addr(self.server.addr)
            .hash_files(build.hash_files && built_with_hashes())
            .build()
    }
}

/// The cargo-leptos keys the server must agree with.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct BuildMetadata {
    output_name: String,
    site_root: String,
    site_pkg_dir: String,
    #[serde(default)]
    hash_files: bool,
}

/// Whether cargo-leptos left the asset hashes beside this binary (`hash.txt`): it built the
/// site with hashed file names for it. A binary built otherwise (`cargo test`) uses plain names.
fn built_with_hashes() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")))
        .is_some_and(|path| path.exists())
}

fn build_metadata() -> BuildMetadata {
    let cargo: toml::Table = CARGO_TOML.parse().expect("Cargo.toml is valid TOML");
    let leptos = cargo["package"]["metadata"]["leptos"].clone();
    leptos.try_into().expect(
        "Cargo.toml has [package.metadata.leptos] with output-name, site-root, site-pkg-dir",
    )
}

fn read(path: &str) -> Result<(String, String), SettingsError> {
    std::fs::read_to_string(path)
        .map(|text| (text, path.to_string()))
        .map_err(|source| SettingsError::Read {
            path: path.to_string(),
            source,
        })
}

fn parse(text: &str, path: &str) -> Result<toml::Table, SettingsError> {
    text.parse().map_err(|source| SettingsError::Parse {
        path: path.to_string(),
        source,
    })
}

fn overlay(base: &mut toml::Table, top: toml::Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(base)), toml::Value::Table(top)) => overlay(base, top),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Sets `section.key` from `ONAIR_SECTION_KEY`, typed like the default it replaces.
fn apply_variable(
    table: &mut toml::Table,
    name: &str,
    rest: &str,
    value: &str,
) -> Result<(), SettingsError> {
    let unknown = || SettingsError::UnknownVariable(name.to_string());
    let (section, key) = rest.split_once('_').ok_or_else(unknown)?;
    let slot = table
        .get_mut(section)
        .and_then(|s| s.as_table_mut())
        .and_then(|s| s.get_mut(key))
        .ok_or_else(unknown)?;
    let bad = |expected| SettingsError::BadValue {
        name: name.to_string(),
        value: value.to_string(),
        expected,
    };
    *slot = match slot {
        toml::Value::Integer(_) => {
            toml::Value::Integer(value.trim().parse().map_err(|_| bad("a whole number"))?)
        }
        toml::Value::Float(_) => {
            toml::Value::Float(value.trim().parse().map_err(|_| bad("a number"))?)
        }
        toml::Value::Boolean(_) => toml::Value::Boolean(match value.trim() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => return Err(bad("true or false")),
        }),
        _ => toml::Value::String(value.to_string()),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_leptos_toml() {
        let settings = Settings::with_overrides([]).expect("defaults parse");
        assert_eq!(settings.server.addr.port(), 3000);
        assert!(settings.demo.enabled);
    }

    #[test]
    fn environment_overrides_are_typed_and_checked() {
        let settings = Settings::with_overrides([
            ("ONAIR_DEMO_ENABLED", "false"),
            ("ONAIR_SERVER_ADDR", "127.0.0.1:0"),
        ])
        .unwrap();
        assert!(!settings.demo.enabled);
        assert_eq!(settings.server.addr.port(), 0);
        assert!(matches!(
            Settings::with_overrides([("ONAIR_BROADCAST_FPS", "fast")]),
            Err(SettingsError::BadValue { .. })
        ));
        assert!(matches!(
            Settings::with_overrides([("ONAIR_DEMO_COLOUR", "red")]),
            Err(SettingsError::UnknownVariable(_))
        ));
    }

    #[test]
    fn the_encoder_is_one_ffmpeg_names_and_a_gpu_is_chosen_by_name() {
        let default = Settings::with_overrides([]).unwrap();
        assert_eq!(default.broadcasts().encoding.encoder, Encoder::Software);
        let vaapi = Settings::with_overrides([
            ("ONAIR_FFMPEG_ENCODER", "h264_vaapi"),
            ("ONAIR_FFMPEG_VAAPI_DEVICE", "/dev/dri/renderD129"),
        ])
        .unwrap();
        assert_eq!(
            vaapi.broadcasts().encoding.encoder,
            Encoder::Vaapi {
                device: "/dev/dri/renderD129".into()
            }
        );
        let wrong = Settings::with_overrides([("ONAIR_FFMPEG_ENCODER", "nvenc")]).unwrap_err();
        assert!(
            wrong.to_string().contains("\"nvenc\" is not an encoder"),
            "{wrong}"
        );
    }

    #[test]
    fn a_file_overrides_some_keys_and_keeps_the_rest() {
        let file = "[demo]\nenabled = false\n";
        let settings = Settings::from_sources(Some((file, "test.toml")), []).unwrap();
        assert!(!settings.demo.enabled);
        assert_eq!(settings.broadcast.fps, 30);
    }

    #[test]
    fn leptos_options_match_the_cargo_leptos_metadata() {
        // cargo-leptos builds into <site-root>/<site-pkg-dir>/<output-name>.{js,wasm}; the
        // server must look in the same place.
        let options = Settings::with_overrides([]).unwrap().leptos_options();
        let build = build_metadata();
        assert_eq!(&*options.output_name, build.output_name);
        assert_eq!(&*options.site_pkg_dir, build.site_pkg_dir);
        assert_eq!(&*options.output_name, env!("CARGO_PKG_NAME"));
    }
}
