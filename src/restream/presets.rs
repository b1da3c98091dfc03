//! The common platforms' ingest addresses, so an owner pastes only the key.

/// (name, RTMP(S) server address).
pub const PRESETS: [(&str, &str); 4] = [
    ("Twitch", "rtmp://live.twitch.tv/app"),
    ("YouTube", "rtmp://a.rtmp.youtube.com/live2"),
    ("Facebook Live", "rtmps://live-api-s.facebook.com:443/rtmp"),
    (
        "Kick",
        "rtmps://fa723fc1b171.global-contribute.live-video.net/app",
    ),
];
