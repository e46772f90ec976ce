//! Loading logs into Loki: [`push_all`] batches `(labels, entry)` pairs (by
//! bytes and count, grouped into streams per batch), pushes each batch with the
//! client's retries, reports progress, and keeps a resume point.
//!
//! At the start and after each acknowledged batch a small JSON state file is
//! replaced atomically (temp file + rename) with the number of entries pushed and the
//! caller's fingerprint of the input. A later run with the same fingerprint
//! skips that many entries, so an interrupted load resumes without pushing
//! anything twice; a different fingerprint starts over. The file is kept
//! after a complete load (a rerun then pushes nothing); delete it to reload.
//!
//! Loki's refusals of old or out-of-order samples become
//! [`PushError::Rejected`], whose text names the Loki limits to change.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use super::client::{LokiClient, PushStream};
use super::resume::{ResumeState, STATE_VERSION, read_state, write_state};
use crate::backend::BackendError;
use crate::logql::value::{Entry, Labels, Stream};

/// How [`push_all`] batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOptions {
    /// A batch is sent before it would pass this many bytes (estimated JSON).
    pub max_batch_bytes: usize,
    /// ... or this many entries.
    pub max_batch_entries: usize,
    /// Identifies the input (e.g. an xxh3 hash of the files and labels); the
    /// resume point is only used when it matches.
    pub fingerprint: u64,
    /// Compress push bodies with gzip.
    pub gzip: bool,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            max_batch_bytes: 1 << 20,
            max_batch_entries: 5000,
            fingerprint: 0,
            gzip: false,
        }
    }
}

/// Reported after the resume skip and after each acknowledged batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushProgress {
    /// Entries done: skipped (already in Loki) plus pushed by this run.
    pub done: u64,
    /// Estimated bytes pushed by this run.
    pub bytes: u64,
    /// Entries skipped because an earlier run pushed them.
    pub skipped: u64,
}

/// The outcome of a complete [`push_all`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushSummary {
    /// Entries pushed by this run.
    pub pushed: u64,
    /// Entries skipped because an earlier run pushed them.
    pub skipped: u64,
    pub batches: u64,
    /// Estimated bytes pushed by this run.
    pub bytes: u64,
}

/// Why Loki refused samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Older than Loki accepts (`reject_old_samples`) or too far behind the
    /// stream's newest entry.
    TooOld,
    /// Out of time order in a stream with ordered writes.
    OutOfOrder,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// Loki refused the samples; `hint` says which Loki limits to change.
    #[error("Loki refused the entries after {pushed} were pushed: {message}\n{hint}")]
    Rejected {
        pushed: u64,
        kind: Rejection,
        message: String,
        hint: String,
    },
    /// The push failed (after retries); `pushed` entries are safely in Loki
    /// and recorded in the state file.
    #[error("push failed after {pushed} entries were pushed: {source}")]
    Backend {
        pushed: u64,
        #[source]
        source: BackendError,
    },
    /// The state file cannot be read or written.
    #[error("resume state file {}: {message}", .path.display())]
    State { path: PathBuf, message: String },
    /// Cancelled between batches; the state file holds `pushed`.
    #[error("cancelled after {pushed} entries were pushed; run again to resume")]
    Cancelled { pushed: u64 },
}

/// Pushes `entries` (in input order) to Loki in batches, resuming from
/// `state` when its fingerprint matches `opts.fingerprint`. `cancel` is
/// checked between batches. See the module docs.
pub async fn push_all<I>(
    client: &LokiClient,
    entries: I,
    opts: &PushOptions,
    state: &Path,
    mut on_progress: impl FnMut(PushProgress),
    cancel: &AtomicBool,
) -> Result<PushSummary, PushError>
where
    I: IntoIterator<Item = (Labels, Entry)>,
{
    let fingerprint = format!("{:016x}", opts.fingerprint);
    let resume_from = match read_state(state)? {
        Some(s) if s.fingerprint == fingerprint => s.pushed,
        _ => 0,
    };
    let mut input = entries.into_iter().peekable();
    let mut skipped = 0u64;
    while skipped < resume_from && input.next().is_some() {
        skipped += 1;
    }
    let mut done = skipped;
    // Written before the first push: a bad state path fails before anything is sent.
    write_state(
        state,
        &ResumeState {
            version: STATE_VERSION,
            fingerprint: fingerprint.clone(),
            pushed: done,
        },
    )?;
    let mut summary = PushSummary {
        pushed: 0,
        skipped,
        batches: 0,
        bytes: 0,
    };
    on_progress(PushProgress {
        done,
        bytes: 0,
        skipped,
    });

    loop {
        if cancel.load(Ordering::SeqCst) {
            return Err(PushError::Cancelled { pushed: done });
        }
        let batch = Batch::fill(&mut input, opts);
        if batch.entries == 0 {
            break;
        }
        client
            .push_with(&batch.streams, opts.gzip)
            .await
            .map_err(|e| push_error(e, done))?;
        done += batch.entries;
        summary.pushed += batch.entries;
        summary.batches += 1;
        summary.bytes += batch.bytes;
        write_state(
            state,
            &ResumeState {
                version: STATE_VERSION,
                fingerprint: fingerprint.clone(),
                pushed: done,
            },
        )?;
        on_progress(PushProgress {
            done,
            bytes: summary.bytes,
            skipped,
        });
    }
    Ok(summary)
}

/// One batch: streams in order of first appearance, entries in input order.
struct Batch {
    streams: Vec<PushStream>,
    entries: u64,
    bytes: u64,
}

impl Batch {
    fn fill<I: Iterator<Item = (Labels, Entry)>>(
        input: &mut std::iter::Peekable<I>,
        opts: &PushOptions,
    ) -> Batch {
        let mut batch = Batch {
            streams: Vec::new(),
            entries: 0,
            bytes: 0,
        };
        let mut index: HashMap<Labels, usize> = HashMap::new();
        let max_entries = opts.max_batch_entries.max(1) as u64;
        let max_bytes = opts.max_batch_bytes.max(1) as u64;
        while let Some((labels, entry)) = input.peek() {
            let mut size = entry_bytes(entry);
            if !index.contains_key(labels) {
                size += labels_bytes(labels);
            }
            if batch.entries > 0
                && (batch.entries + 1 > max_entries || batch.bytes + size > max_bytes)
            {
                break;
            }
            let Some((labels, entry)) = input.next() else {
                break;
            };
            match index.get(&labels) {
                Some(&i) => {
                    if let Some(s) = batch.streams.get_mut(i) {
                        s.entries.push(entry);
                    }
                }
                None => {
                    index.insert(labels.clone(), batch.streams.len());
                    batch.streams.push(Stream {
                        labels,
                        entries: vec![entry],
                    });
                }
            }
            batch.entries += 1;
            batch.bytes += size;
        }
        batch
    }
}

/// JSON size of an entry: `["<19 digits>","<line>"],` plus escapes (estimated).
fn entry_bytes(e: &Entry) -> u64 {
    e.line.len() as u64 + 28
}

/// JSON size of a stream header `{"stream":{..},"values":[]},`.
fn labels_bytes(l: &Labels) -> u64 {
    l.iter()
        .map(|(k, v)| (k.len() + v.len() + 6) as u64)
        .sum::<u64>()
        + 26
}

/// The JSON push body `{"streams":[{"stream":{..},"values":[["ns","line"]]}]}`,
/// gzip-compressed when `gzip`.
pub(crate) fn push_body(streams: &[PushStream], gzip: bool) -> std::io::Result<Vec<u8>> {
    let streams: Vec<Value> = streams
        .iter()
        .map(|s| {
            let values: Vec<Value> = s
                .entries
                .iter()
                .map(|e| json!([e.ts.to_string(), e.line]))
                .collect();
            json!({ "stream": s.labels, "values": values })
        })
        .collect();
    let json = serde_json::to_vec(&json!({ "streams": streams }))?;
    if !gzip {
        return Ok(json);
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&json)?;
    enc.finish()
}

fn push_error(e: BackendError, pushed: u64) -> PushError {
    if let BackendError::Server {
        status: 400..=499,
        message,
    } = &e
        && let Some((kind, hint)) = rejection_hint(message)
    {
        return PushError::Rejected {
            pushed,
            kind,
            message: message.clone(),
            hint,
        };
    }
    PushError::Backend { pushed, source: e }
}

/// Whether Loki's push error text is a refusal of old or out-of-order
/// samples, and what to change in Loki's config.
pub fn rejection_hint(message: &str) -> Option<(Rejection, String)> {
    let m = message.to_ascii_lowercase();
    let too_far_behind = m.contains("too far behind");
    let too_old = too_far_behind
        || m.contains("too old")
        || m.contains("greater_than_max_sample_age")
        || m.contains("reject_old_samples");
    let out_of_order = m.contains("out of order") || m.contains("out_of_order");
    if !too_old && !out_of_order {
        return None;
    }
    let mut hint = Vec::new();
    if too_old {
        hint.push(
            "Loki refuses samples this old. In Loki's config set `limits_config.reject_old_samples: false` \
             (or a larger `limits_config.reject_old_samples_max_age`, e.g. 87600h). To query such old data \
             also set `limits_config.max_query_lookback: 0` and `limits_config.max_query_length: 0` \
             (0 disables each limit)."
                .to_owned(),
        );
    }
    if too_far_behind {
        hint.push(
            "An entry more than half of `ingester.max_chunk_age` behind the newest entry of its stream is \
             refused even then: push each stream in time order or raise `ingester.max_chunk_age`."
                .to_owned(),
        );
    }
    if out_of_order {
        hint.push(
            "Loki refuses entries out of time order in a stream: set `limits_config.unordered_writes: true`."
                .to_owned(),
        );
    }
    let kind = if too_old {
        Rejection::TooOld
    } else {
        Rejection::OutOfOrder
    };
    Some((kind, hint.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(app: &str, ts: i64, len: usize) -> (Labels, Entry) {
        (
            [("app".to_string(), app.to_string())].into(),
            Entry {
                ts,
                line: "x".repeat(len),
            },
        )
    }

    #[test]
    fn push_body_is_loki_json_and_gzips() {
        let s = Stream {
            labels: [("app".to_string(), "hdfs".to_string())].into(),
            entries: vec![Entry {
                ts: 1_226_398_396_000_000_000,
                line: "a \"q\"".into(),
            }],
        };
        let plain = push_body(std::slice::from_ref(&s), false).unwrap();
        let v: Value = serde_json::from_slice(&plain).unwrap();
        assert_eq!(
            v,
            json!({"streams":[{"stream":{"app":"hdfs"},"values":[["1226398396000000000","a \"q\""]]}]})
        );
        let gz = push_body(&[s], true).unwrap();
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out).unwrap();
        assert_eq!(out, plain);
    }

    #[test]
    fn batches_by_count_and_bytes_grouped_into_streams() {
        let data: Vec<_> = (0..10)
            .map(|i| item(if i % 2 == 0 { "a" } else { "b" }, i, 10))
            .collect();
        let opts = PushOptions {
            max_batch_entries: 4,
            ..PushOptions::default()
        };
        let mut input = data.clone().into_iter().peekable();
        let b = Batch::fill(&mut input, &opts);
        assert_eq!(b.entries, 4);
        assert_eq!(b.streams.len(), 2);
        assert_eq!(
            b.streams[0]
                .entries
                .iter()
                .map(|e| e.ts)
                .collect::<Vec<_>>(),
            vec![0, 2]
        );
        let sizes: Vec<u64> = std::iter::from_fn(|| Some(Batch::fill(&mut input, &opts).entries))
            .take_while(|n| *n > 0)
            .collect();
        assert_eq!(sizes, vec![4, 2]);

        // Bytes: each entry is 100 + 28 bytes, the stream header 3+1+6+26.
        let opts = PushOptions {
            max_batch_bytes: 300,
            ..PushOptions::default()
        };
        let mut input = (0..5).map(|i| item("a", i, 100)).peekable();
        assert_eq!(Batch::fill(&mut input, &opts).entries, 2);
        // An entry bigger than a batch still goes, alone.
        let mut input = vec![item("a", 0, 1000), item("a", 1, 1)]
            .into_iter()
            .peekable();
        assert_eq!(Batch::fill(&mut input, &opts).entries, 1);
        assert_eq!(Batch::fill(&mut input, &opts).entries, 1);
    }

    #[test]
    fn old_and_out_of_order_rejections_name_the_limits() {
        let old = "entry for stream '{app=\"hdfs\"}' has timestamp too old: 2008-11-09T20:35:32Z, oldest acceptable timestamp is: 2024-01-01T00:00:00Z";
        let (kind, hint) = rejection_hint(old).unwrap();
        assert_eq!(kind, Rejection::TooOld);
        for needle in [
            "reject_old_samples: false",
            "reject_old_samples_max_age",
            "max_query_lookback: 0",
            "max_query_length: 0",
        ] {
            assert!(hint.contains(needle), "missing {needle}: {hint}");
        }
        assert!(!hint.contains("unordered_writes"));
        let behind = "entry with timestamp 2015-12-10 06:55:46 +0000 UTC ignored, reason: 'entry too far behind, oldest acceptable timestamp is: 2015-12-10T10:00:00Z'";
        let (kind, hint) = rejection_hint(behind).unwrap();
        assert_eq!(kind, Rejection::TooOld);
        assert!(hint.contains("max_chunk_age"), "{hint}");
        let ooo = "entry with timestamp 2015-12-10 06:55:46 +0000 UTC ignored, reason: 'entry out of order' for stream: {app=\"openssh\"}";
        let (kind, hint) = rejection_hint(ooo).unwrap();
        assert_eq!(kind, Rejection::OutOfOrder);
        assert!(hint.contains("unordered_writes: true"), "{hint}");
        assert_eq!(rejection_hint("stream limit exceeded"), None);
        // Only 4xx replies are rejections.
        let e = push_error(
            BackendError::Server {
                status: 500,
                message: old.into(),
            },
            3,
        );
        assert!(matches!(e, PushError::Backend { pushed: 3, .. }));
        let e = push_error(
            BackendError::Server {
                status: 400,
                message: old.into(),
            },
            3,
        );
        assert!(matches!(
            e,
            PushError::Rejected {
                pushed: 3,
                kind: Rejection::TooOld,
                ..
            }
        ));
    }
}
