//! An S3-compatible object store as the recordings' home (`[recordings] store`), through the
//! `object_store` crate: AWS S3, MinIO, Garage, Ceph, s3s-fs, anything that speaks S3 with
//! path-style addressing at an endpoint of its own.
//!
//! A store that does not answer must not hold a recording up for long: each request has a
//! deadline and is retried twice at most, so a store that is down stops the recording within
//! seconds (with its reason) while the broadcast goes on.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};

/// Where the store is and how to sign in to it (`[recordings] store*` settings).
#[derive(Clone, Default, PartialEq)]
pub struct ObjectsConfig {
    /// `s3://BUCKET` or `s3://BUCKET/PREFIX`.
    pub url: String,
    /// The store's address (`http://127.0.0.1:9000`); empty: AWS's for the region.
    pub endpoint: String,
    pub region: String,
    /// Keys; empty: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment.
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for ObjectsConfig {
    /// Never shows the secret key (settings may be logged).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectsConfig")
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

/// How long one request to the store may take, all of it, and to connect.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The bucket and prefix `url` names.
pub fn bucket_and_prefix(url: &str) -> Result<(String, String), String> {
    let expected = || {
        format!(
            "`{url}` is not an object store's address: expected s3://BUCKET or s3://BUCKET/PREFIX"
        )
    };
    let rest = url.strip_prefix("s3://").ok_or_else(expected)?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let valid_bucket = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !valid_bucket {
        return Err(expected());
    }
    let prefix = prefix.trim_matches('/');
    if prefix.split('/').any(|part| part == "." || part == "..") {
        return Err(expected());
    }
    Ok((bucket.to_string(), prefix.to_string()))
}

/// The store `config` names (nothing is asked of it yet).
pub fn open(config: &ObjectsConfig) -> Result<Arc<dyn ObjectStore>, String> {
    let (bucket, prefix) = bucket_and_prefix(&config.url)?;
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_region(&config.region)
        .with_retry(RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: 2,
            retry_timeout: Duration::from_secs(10),
        })
        .with_client_options(
            ClientOptions::new()
                .with_timeout(REQUEST_TIMEOUT)
                .with_connect_timeout(CONNECT_TIMEOUT),
        );
    if !config.endpoint.is_empty() {
        builder = builder
            .with_endpoint(&config.endpoint)
            .with_allow_http(config.endpoint.starts_with("http://"))
            .with_virtual_hosted_style_request(false);
    }
    if !config.access_key.is_empty() {
        builder = builder.with_access_key_id(&config.access_key);
    }
    if !config.secret_key.is_empty() {
        builder = builder.with_secret_access_key(&config.secret_key);
    }
    let store = builder
        .build()
        .map_err(|err| format!("the recordings' object store: {err}"))?;
    Ok(if prefix.is_empty() {
        Arc::new(store)
    } else {
        Arc::new(PrefixStore::new(store, prefix))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_names_a_bucket_and_maybe_a_prefix() {
        assert_eq!(
            bucket_and_prefix("s3://recordings"),
            Ok(("recordings".into(), String::new()))
        );
        assert_eq!(
            bucket_and_prefix("s3://recordings/onair/eu/"),
            Ok(("recordings".into(), "onair/eu".into()))
        );
        for wrong in [
            "recordings",
            "https://recordings",
            "s3://",
            "s3://Big_Bucket",
            "s3://ok-bucket/../other",
        ] {
            let err = bucket_and_prefix(wrong).unwrap_err();
            assert!(err.contains("s3://BUCKET"), "{wrong}: {err}");
        }
    }

    #[test]
    fn the_secret_key_is_never_shown() {
        let config = ObjectsConfig {
            url: "s3://recordings".into(),
            secret_key: "hunter2-very-secret".into(),
            ..ObjectsConfig::default()
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
