//! Our RTMP session against an independent client (`rml_rtmp`'s, which the load tool also
//! uses), in memory: every byte each side writes is read by the other. And the attacks from
//! issue 25 against the session as the connection feeds it.

use bytes::{Bytes, BytesMut};
use rml_rtmp::sessions::{
    ClientSession, ClientSessionConfig, ClientSessionEvent, ClientSessionResult,
    PublishRequestType, StreamMetadata,
};
use rml_rtmp::time::RtmpTimestamp;

use super::amf0::{self, Amf0Error, Value};
use super::chunks::{self, ChunkError, kind};
use super::session::{BEFORE_PUBLISH, Event, Session, SessionError};

/// What the client sent, fed to the server in reads of `step` bytes; the server's events.
fn to_server(server: &mut Session, bytes: &[u8], step: usize) -> Result<Vec<Event>, SessionError> {
    let mut events = Vec::new();
    for piece in bytes.chunks(step.max(1)) {
        server.push(piece)?;
        while let Some(event) = server.poll()? {
            events.push(event);
        }
    }
    Ok(events)
}

fn client_bytes(results: Vec<ClientSessionResult>) -> Vec<u8> {
    results
        .into_iter()
        .filter_map(|r| match r {
            ClientSessionResult::OutboundResponse(packet) => Some(packet.bytes),
            _ => None,
        })
        .flatten()
        .collect()
}

fn client_events(client: &mut ClientSession, bytes: &[u8]) -> (Vec<ClientSessionEvent>, Vec<u8>) {
    let results = client
        .handle_input(bytes)
        .expect("the client reads our bytes");
    let mut events = Vec::new();
    let mut reply = Vec::new();
    for result in results {
        match result {
            ClientSessionResult::RaisedEvent(event) => events.push(event),
            ClientSessionResult::OutboundResponse(packet) => reply.extend(packet.bytes),
            _ => {}
        }
    }
    (events, reply)
}

/// A client connected to `live` and publishing with `key`, as far as the server accepted.
struct Published {
    client: ClientSession,
    server: Session,
}

fn publish_as_obs(key: &str, step: usize) -> Published {
    let mut server = Session::new();
    let (mut client, initial) = ClientSession::new(ClientSessionConfig::new()).unwrap();
    let mut wire = client_bytes(initial);
    wire.extend(client_bytes(vec![
        client.request_connection("live".into()).unwrap(),
    ]));
    let events = to_server(&mut server, &wire, step).unwrap();
    let [Event::Connect { app, transaction }] = &events[..] else {
        panic!("a connect: {events:?}");
    };
    assert_eq!(app, "live");
    server.accept_connect(*transaction);
    let (events, reply) = client_events(&mut client, &server.take_output());
    assert!(
        events.contains(&ClientSessionEvent::ConnectionRequestAccepted),
        "{events:?}"
    );
    let mut wire = reply;
    wire.extend(client_bytes(vec![
        client
            .request_publishing(key.into(), PublishRequestType::Live)
            .unwrap(),
    ]));
    // createStream is answered by the session itself; the client then asks to publish.
    let events = to_server(&mut server, &wire, step).unwrap();
    assert!(events.is_empty(), "{events:?}");
    let (_, reply) = client_events(&mut client, &server.take_output());
    let events = to_server(&mut server, &reply, step).unwrap();
    assert_eq!(events, vec![Event::Publish { key: key.into() }]);
    server.accept_publish();
    let (events, _) = client_events(&mut client, &server.take_output());
    assert!(
        events.contains(&ClientSessionEvent::PublishRequestAccepted),
        "{events:?}"
    );
    Published { client, server }
}

#[test]
fn an_independent_client_connects_publishes_streams_and_unpublishes() {
    for step in [1, 13, 4096] {
        let Published {
            mut client,
            mut server,
        } = publish_as_obs("alice_0123456789", step);
        let mut metadata = StreamMetadata::new();
        metadata.video_width = Some(1280);
        metadata.video_height = Some(720);
        metadata.audio_codec_id = Some(10);
        let frame = Bytes::from(vec![0x17; 300_000]);
        let mut wire = Vec::new();
        if let ClientSessionResult::OutboundResponse(p) =
            client.publish_metadata(&metadata).unwrap()
        {
            wire.extend(p.bytes);
        }
        for (ts, video) in [(0, true), (21, false), (33, true), (0x0100_0005, true)] {
            let stamp = RtmpTimestamp::new(ts);
            let packet = if video {
                client.publish_video_data(frame.clone(), stamp, false)
            } else {
                client.publish_audio_data(Bytes::from_static(&[0xAF, 1, 2]), stamp, false)
            };
            if let ClientSessionResult::OutboundResponse(p) = packet.unwrap() {
                wire.extend(p.bytes);
            }
        }
        wire.extend(client_bytes(client.stop_publishing().unwrap()));
        let events = to_server(&mut server, &wire, step).unwrap();
        let summary: Vec<String> = events
            .iter()
            .map(|e| match e {
                Event::Metadata(m) => format!(
                    "meta {:?}x{:?} {} {}",
                    m.width,
                    m.height,
                    m.has_audio,
                    m.sound_alone()
                ),
                Event::Video { timestamp, data } => format!("video {timestamp} {}", data.len()),
                Event::Audio { timestamp, data } => format!("audio {timestamp} {}", data.len()),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            summary,
            [
                "meta Some(1280)xSome(720) true false",
                "video 0 300000",
                "audio 21 3",
                "video 33 300000",
                "video 16777221 300000",
                "Unpublished",
            ],
            "step {step}"
        );
    }
}

/// What a publisher of sound alone announces (`ffmpeg -vn … -f flv` writes an audio codec id and
/// no video fields) is read as sound alone; an announcement with a video codec id or a picture
/// size, or with no audio, is not.
#[test]
fn metadata_with_an_audio_codec_and_no_video_announces_sound_alone() {
    let cases = [
        (Some(10), None, None, true),
        (Some(10), Some(7), None, false),
        (Some(10), None, Some(720), false),
        (None, None, None, false),
    ];
    for (audio, video, height, sound_alone) in cases {
        let Published {
            mut client,
            mut server,
        } = publish_as_obs("k", 4096);
        let mut metadata = StreamMetadata::new();
        metadata.audio_codec_id = audio;
        metadata.video_codec_id = video;
        metadata.video_height = height;
        let wire = client_bytes(vec![client.publish_metadata(&metadata).unwrap()]);
        let events = to_server(&mut server, &wire, 4096).unwrap();
        let [Event::Metadata(read)] = &events[..] else {
            panic!("one announcement: {events:?}");
        };
        assert_eq!(
            read.sound_alone(),
            sound_alone,
            "audio {audio:?}, video {video:?}, height {height:?}: {read:?}"
        );
    }
}

#[test]
fn a_ping_is_answered_and_acknowledgements_follow_the_peers_window() {
    let Published {
        mut client,
        mut server,
    } = publish_as_obs("k", 4096);
    let (ping, _) = client.send_ping_request().unwrap();
    to_server(&mut server, &ping.bytes, 4096).unwrap();
    let (events, _) = client_events(&mut client, &server.take_output());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientSessionEvent::PingResponseReceived { .. })),
        "{events:?}"
    );
    // Window Acknowledgement Size 1000, then 3000 bytes of video: acknowledged.
    let mut wire = BytesMut::new();
    chunks::write(
        &mut wire,
        2,
        kind::WINDOW_ACK_SIZE,
        0,
        &1000u32.to_be_bytes(),
    );
    to_server(&mut server, &wire, 4096).unwrap();
    let frame = client
        .publish_video_data(Bytes::from(vec![0x27; 3000]), RtmpTimestamp::new(1), false)
        .unwrap();
    let ClientSessionResult::OutboundResponse(frame) = frame else {
        panic!()
    };
    to_server(&mut server, &frame.bytes, 4096).unwrap();
    let (events, _) = client_events(&mut client, &server.take_output());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientSessionEvent::AcknowledgementReceived { .. })),
        "{events:?}"
    );
}

#[test]
fn a_refused_publish_and_a_play_are_told_why() {
    let mut server = Session::new();
    let (mut client, initial) = ClientSession::new(ClientSessionConfig::new()).unwrap();
    let mut wire = client_bytes(initial);
    wire.extend(client_bytes(vec![
        client.request_connection("other".into()).unwrap(),
    ]));
    let events = to_server(&mut server, &wire, 4096).unwrap();
    let [Event::Connect { transaction, .. }] = &events[..] else {
        panic!("{events:?}")
    };
    server.reject_connect(*transaction, "Unknown application");
    let (events, _) = client_events(&mut client, &server.take_output());
    assert!(
        events.iter().any(|e| matches!(
            e,
            ClientSessionEvent::ConnectionRequestRejected { description } if description.contains("Unknown application")
        )),
        "{events:?}"
    );
}

/// A command message (type 20) of `payload`, after a Set Chunk Size to `chunk_size`.
fn command_message(payload: &[u8], message_kind: u8) -> Vec<u8> {
    let mut wire = BytesMut::new();
    chunks::write(
        &mut wire,
        2,
        kind::SET_CHUNK_SIZE,
        0,
        &4096u32.to_be_bytes(),
    );
    chunks::write(&mut wire, 3, message_kind, 1, payload);
    wire.to_vec()
}

/// Issue 25, item 1: 200,000 nested strict arrays in 1 MB, before any key. The message is
/// refused by its declared size, before a byte of it is held.
#[test]
fn a_megabyte_command_before_publish_is_refused_at_its_header() {
    let mut payload = [0x0A, 0, 0, 0, 1].repeat(200_000);
    payload.push(0x05);
    let mut server = Session::new();
    let refused = to_server(
        &mut server,
        &command_message(&payload, kind::AMF0_COMMAND),
        65536,
    );
    assert!(
        matches!(
            refused,
            Err(SessionError::Chunks(ChunkError::TooLarge { .. }))
                | Err(SessionError::TooMuchBeforePublish(_))
        ),
        "{refused:?}"
    );
}

/// Within the byte budget, deep nesting is refused by the decoder's depth budget: in a
/// command before publish, and in a data message after.
#[test]
fn deep_amf0_in_a_command_or_in_data_after_publish_is_refused_by_depth() {
    let mut deep = [0x0A, 0, 0, 0, 1].repeat(10_000);
    deep.push(0x05);
    let mut server = Session::new();
    let refused = to_server(
        &mut server,
        &command_message(&deep, kind::AMF0_COMMAND),
        4096,
    );
    assert!(
        matches!(refused, Err(SessionError::Amf0(Amf0Error::TooDeep))),
        "{refused:?}"
    );

    let Published { mut server, .. } = publish_as_obs("k", 4096);
    let mut data = BytesMut::new();
    amf0::encode(&Value::String("@setDataFrame".into()), &mut data);
    amf0::encode(&Value::String("onMetaData".into()), &mut data);
    data.extend_from_slice(&deep);
    let refused = to_server(&mut server, &command_message(&data, kind::AMF0_DATA), 4096);
    assert!(
        matches!(refused, Err(SessionError::Amf0(Amf0Error::TooDeep))),
        "{refused:?}"
    );
}

/// Item 2: a strict array declaring 16 M one-byte nulls (a 16 MiB message). After publish a
/// data message may be at most 64 KiB: refused at its header. A wide array within that is
/// refused at the value budget.
#[test]
fn a_wide_amf0_array_is_refused_by_size_or_by_the_value_budget() {
    let Published { mut server, .. } = publish_as_obs("k", 4096);
    let mut header = vec![0x03, 0, 0, 0, 0xFF, 0xFF, 0xFF, kind::AMF0_DATA, 1, 0, 0, 0];
    header.extend([0x0A, 0x01, 0, 0, 0]);
    let refused = to_server(&mut server, &header, 4096);
    assert!(
        matches!(
            refused,
            Err(SessionError::Chunks(ChunkError::TooLarge { .. }))
        ),
        "{refused:?}"
    );

    let Published { mut server, .. } = publish_as_obs("k", 4096);
    let mut wide = vec![0x0A, 0x01, 0, 0, 0];
    wide.extend(std::iter::repeat_n(0x05, 60_000));
    let refused = to_server(&mut server, &command_message(&wide, kind::AMF0_DATA), 4096);
    assert!(
        matches!(refused, Err(SessionError::Amf0(Amf0Error::TooMany))),
        "{refused:?}"
    );
}

#[test]
fn more_than_the_budget_before_publishing_is_refused() {
    let mut server = Session::new();
    let mut wire = BytesMut::new();
    chunks::write(
        &mut wire,
        2,
        kind::SET_CHUNK_SIZE,
        0,
        &4096u32.to_be_bytes(),
    );
    for _ in 0..(BEFORE_PUBLISH / 1000 + 2) {
        // Harmless acknowledgements, 1000 bytes of padding each in a message nobody reads.
        chunks::write(&mut wire, 5, 22, 0, &[0; 1000]);
    }
    let refused = to_server(&mut server, &wire, 4096);
    assert!(
        matches!(refused, Err(SessionError::TooMuchBeforePublish(_))),
        "{refused:?}"
    );
}
