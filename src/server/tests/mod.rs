//! HTTP tests: the real server on port 0 with the real demo ffmpeg and a real SQLite file (or
//! the shared PostgreSQL, NATS), read by real clients. `support` is what they share; the
//! others are filed by capability.

mod accounts;
mod avatars;
mod broadcasts;
mod browser;
mod chat;
mod cluster;
mod community;
mod emotes;
mod https;
mod ingest;
mod live;
mod operation;
mod pages;
mod push;
mod recordings;
mod restream;
mod sharing;
mod single_client;
mod single_publisher;
mod support;
mod tokens;
mod webhooks;
