//! AMF0, the encoding of RTMP's commands (`connect`, `publish`…) and data messages
//! (`onMetaData`): what a publisher sends is decoded here within a budget, and our replies are
//! encoded here.
//!
//! The budget is checked before anything is allocated: containers nest at most
//! [`MAX_DEPTH`] deep (the decoder recurses, so this is also its stack bound), one message
//! holds at most [`MAX_VALUES`] values, and a declared count or length is never trusted
//! further than the bytes that are actually there. A message is itself capped in size by the
//! chunk reader before it reaches us (`chunks`), so decoding one costs at most a few MiB
//! whatever it says. (rml_amf0, which `rml_rtmp` uses, has neither bound: 200,000 nested
//! arrays overflow its stack, and a strict array of 16 M one-byte nulls decodes into ~1 GB.)

use bytes::{BufMut, BytesMut};

/// Containers inside containers, at most. OBS's deepest message (`connect`, `onMetaData`) is 2.
pub const MAX_DEPTH: usize = 16;
/// Values in one message, at most. OBS's largest (`onMetaData`) has about 30.
pub const MAX_VALUES: usize = 4096;

/// One AMF0 value. Objects, ECMA arrays and typed objects all become [`Value::Object`]: a
/// publisher's messages are read for a few named properties, never written back.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Boolean(bool),
    String(String),
    Object(Vec<(String, Value)>),
    Null,
    Undefined,
    Array(Vec<Value>),
    Date(f64),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The property `name` of an object (the first, if it repeats).
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(properties) => properties.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Amf0Error {
    #[error("an AMF0 value is cut short")]
    Truncated,
    #[error("AMF0 values nest deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("more than {MAX_VALUES} AMF0 values in one message")]
    TooMany,
    #[error("AMF0 type {0:#04x} is not taken")]
    Unsupported(u8),
    #[error("an AMF0 object does not end with its end marker")]
    Unterminated,
}

/// Every value in `bytes`, in order.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<Value>, Amf0Error> {
    let mut reader = Reader {
        bytes,
        at: 0,
        values: 0,
    };
    let mut values = Vec::new();
    while reader.at < bytes.len() {
        values.push(reader.value(0)?);
    }
    Ok(values)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Values decoded so far, against [`MAX_VALUES`].
    values: usize,
}

const NUMBER: u8 = 0x00;
const BOOLEAN: u8 = 0x01;
const STRING: u8 = 0x02;
const OBJECT: u8 = 0x03;
const NULL: u8 = 0x05;
const UNDEFINED: u8 = 0x06;
const ECMA_ARRAY: u8 = 0x08;
const OBJECT_END: u8 = 0x09;
const STRICT_ARRAY: u8 = 0x0A;
const DATE: u8 = 0x0B;
const LONG_STRING: u8 = 0x0C;
const UNSUPPORTED: u8 = 0x0D;
const XML_DOCUMENT: u8 = 0x0F;
const TYPED_OBJECT: u8 = 0x10;

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Amf0Error> {
        let end = self.at.checked_add(n).ok_or(Amf0Error::Truncated)?;
        let slice = self.bytes.get(self.at..end).ok_or(Amf0Error::Truncated)?;
        self.at = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, Amf0Error> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<usize, Amf0Error> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn u32(&mut self) -> Result<usize, Amf0Error> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn f64(&mut self) -> Result<f64, Amf0Error> {
        let b = self.take(8)?;
        Ok(f64::from_be_bytes(
            b.try_into().map_err(|_| Amf0Error::Truncated)?,
        ))
    }

    fn text(&mut self, len: usize) -> Result<String, Amf0Error> {
        Ok(String::from_utf8_lossy(self.take(len)?).into_owned())
    }

    /// One value at nesting `depth` (0 for a message's own values).
    fn value(&mut self, depth: usize) -> Result<Value, Amf0Error> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(Amf0Error::TooMany);
        }
        let marker = self.u8()?;
        Ok(match marker {
            NUMBER => Value::Number(self.f64()?),
            BOOLEAN => Value::Boolean(self.u8()? != 0),
            STRING => {
                let len = self.u16()?;
                Value::String(self.text(len)?)
            }
            LONG_STRING | XML_DOCUMENT => {
                let len = self.u32()?;
                Value::String(self.text(len)?)
            }
            NULL => Value::Null,
            UNDEFINED | UNSUPPORTED => Value::Undefined,
            DATE => {
                let millis = self.f64()?;
                self.take(2)?; // time zone, unused by the format's own definition
                Value::Date(millis)
            }
            OBJECT => Value::Object(self.properties(depth)?),
            ECMA_ARRAY => {
                // The count is advisory; the properties end with the end marker.
                self.u32()?;
                Value::Object(self.properties(depth)?)
            }
            TYPED_OBJECT => {
                let len = self.u16()?;
                self.take(len)?;
                Value::Object(self.properties(depth)?)
            }
            STRICT_ARRAY => {
                let declared = self.u32()?;
                if depth + 1 > MAX_DEPTH {
                    return Err(Amf0Error::TooDeep);
                }
                // Never more room than the bytes left could fill (a value is at least a byte).
                let room = declared
                    .min(self.bytes.len() - self.at)
                    .min(MAX_VALUES - self.values);
                let mut items = Vec::with_capacity(room);
                for _ in 0..declared {
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            other => return Err(Amf0Error::Unsupported(other)),
        })
    }

    /// An object's properties, up to its end marker.
    fn properties(&mut self, depth: usize) -> Result<Vec<(String, Value)>, Amf0Error> {
        if depth + 1 > MAX_DEPTH {
            return Err(Amf0Error::TooDeep);
        }
        let mut properties = Vec::new();
        loop {
            let len = self.u16()?;
            if len == 0 {
                if self.u8()? == OBJECT_END {
                    return Ok(properties);
                }
                return Err(Amf0Error::Unterminated);
            }
            let name = self.text(len)?;
            let value = self.value(depth + 1)?;
            properties.push((name, value));
        }
    }
}

/// Appends `value`'s encoding to `out`.
pub fn encode(value: &Value, out: &mut BytesMut) {
    match value {
        Value::Number(n) => {
            out.put_u8(NUMBER);
            out.put_f64(*n);
        }
        Value::Boolean(b) => {
            out.put_u8(BOOLEAN);
            out.put_u8(u8::from(*b));
        }
        Value::String(text) => {
            let bytes = text.as_bytes();
            match u16::try_from(bytes.len()) {
                Ok(len) => {
                    out.put_u8(STRING);
                    out.put_u16(len);
                }
                Err(_) => {
                    out.put_u8(LONG_STRING);
                    out.put_u32(bytes.len() as u32);
                }
            }
            out.put_slice(bytes);
        }
        Value::Object(properties) => {
            out.put_u8(OBJECT);
            for (name, value) in properties {
                let name = &name.as_bytes()[..name.len().min(usize::from(u16::MAX))];
                out.put_u16(name.len() as u16);
                out.put_slice(name);
                encode(value, out);
            }
            out.put_slice(&[0, 0, OBJECT_END]);
        }
        Value::Null => out.put_u8(NULL),
        Value::Undefined => out.put_u8(UNDEFINED),
        Value::Array(items) => {
            out.put_u8(STRICT_ARRAY);
            out.put_u32(items.len() as u32);
            for item in items {
                encode(item, out);
            }
        }
        Value::Date(millis) => {
            out.put_u8(DATE);
            out.put_f64(*millis);
            out.put_u16(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encoded(values: &[Value]) -> Vec<u8> {
        let mut out = BytesMut::new();
        for value in values {
            encode(value, &mut out);
        }
        out.to_vec()
    }

    #[test]
    fn a_connect_command_round_trips() {
        let values = vec![
            Value::String("connect".into()),
            Value::Number(1.0),
            Value::Object(vec![
                ("app".into(), Value::String("live".into())),
                ("tcUrl".into(), Value::String("rtmp://host/live".into())),
                ("fpad".into(), Value::Boolean(false)),
                ("audioCodecs".into(), Value::Number(3575.0)),
            ]),
            Value::Null,
            Value::Array(vec![Value::Undefined, Value::Date(5.0)]),
        ];
        let decoded = decode_all(&encoded(&values)).unwrap();
        assert_eq!(decoded, values);
        assert_eq!(decoded[2].get("app").and_then(Value::as_str), Some("live"));
        // An ECMA array (what onMetaData usually is) reads as an object.
        let mut ecma = vec![ECMA_ARRAY, 0, 0, 0, 1, 0, 5];
        ecma.extend(b"width");
        ecma.extend([NUMBER]);
        ecma.extend(1280f64.to_be_bytes());
        ecma.extend([0, 0, OBJECT_END]);
        let metadata = &decode_all(&ecma).unwrap()[0];
        assert_eq!(
            metadata.get("width").and_then(Value::as_number),
            Some(1280.0)
        );
    }

    /// The input from the report: ~200,000 nested strict arrays in 1 MB. It is refused at the
    /// 17th level, having allocated 16 small vectors.
    #[test]
    fn deep_nesting_is_refused_at_the_depth_budget_without_recursing_further() {
        let mut nested = [STRICT_ARRAY, 0, 0, 0, 1].repeat(200_000);
        nested.push(NULL);
        assert_eq!(decode_all(&nested), Err(Amf0Error::TooDeep));
        let mut objects = Vec::new();
        for _ in 0..200_000 {
            objects.extend([OBJECT, 0, 1, b'a']);
        }
        assert_eq!(decode_all(&objects), Err(Amf0Error::TooDeep));
        // Within the budget it decodes.
        let mut fine = [STRICT_ARRAY, 0, 0, 0, 1].repeat(MAX_DEPTH);
        fine.push(NULL);
        assert!(decode_all(&fine).is_ok());
    }

    /// A strict array declaring 16 M elements of one-byte nulls (16 MiB): refused after
    /// [`MAX_VALUES`], and the vector it started was sized by the budget, not the declaration.
    #[test]
    fn a_wide_array_is_refused_at_the_value_budget() {
        let mut wide = vec![STRICT_ARRAY, 0x01, 0, 0, 0];
        wide.extend(std::iter::repeat_n(NULL, 16 << 20));
        assert_eq!(decode_all(&wide), Err(Amf0Error::TooMany));
        // Declared large but short on bytes: truncated, with nothing reserved for the claim.
        assert_eq!(
            decode_all(&[STRICT_ARRAY, 0xFF, 0xFF, 0xFF, 0xFF, NULL]),
            Err(Amf0Error::Truncated)
        );
        assert_eq!(
            decode_all(&[LONG_STRING, 0xFF, 0xFF, 0xFF, 0xFF, b'x']),
            Err(Amf0Error::Truncated)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::ingest::flv::fuzz_cases(20_000)))]

        /// Any bytes decode or fail; nothing panics.
        #[test]
        fn any_bytes_decode_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_all(&bytes);
        }
    }
}
