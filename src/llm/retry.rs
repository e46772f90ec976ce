//! Retries: which failures are retried (see [`LlmError::is_retryable`]: 429,
//! 5xx, timeouts, unreachable, malformed replies, a stream cut short), how many
//! times, and how long to wait: exponential backoff with jitter, or the
//! server's `Retry-After` when it gives one (capped).

use std::time::Duration;

use super::LlmError;

/// How a failed request is retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` attempts at most).
    pub max_retries: u32,
    /// Wait before the first retry; doubled each time.
    pub base_delay: Duration,
    /// No wait is longer than this, `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_retries: 3, base_delay: Duration::from_millis(500), max_delay: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based) after `err`.
    pub fn delay(&self, retry: u32, err: &LlmError) -> Duration {
        if let LlmError::RateLimited { retry_after: Some(d), .. } = err {
            return (*d).min(self.max_delay);
        }
        let exp = self.base_delay.saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        // Jitter in [75 %, 100 %] so that parallel workers do not retry in lockstep.
        let frac = 0.75 + 0.25 * jitter_unit();
        capped.mul_f64(frac)
    }

    /// Runs `attempt` until it succeeds, fails with an error that is not
    /// retryable, or the retries are spent; `on_retry` hears of every retry.
    pub async fn run<T, F, Fut>(
        &self,
        mut attempt: F,
        mut on_retry: impl FnMut(u32, &LlmError),
    ) -> Result<T, LlmError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, LlmError>>,
    {
        let mut n = 0u32;
        loop {
            match attempt(n).await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_retryable() && n < self.max_retries => {
                    n += 1;
                    on_retry(n, &e);
                    tokio::time::sleep(self.delay(n, &e)).await;
                }
                Err(e) if n > 0 => {
                    return Err(LlmError::GaveUp { attempts: n + 1, message: e.to_string(), last: Box::new(e) });
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A number in [0, 1) that differs between calls (no RNG dependency needed).
fn jitter_unit() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let c = COUNTER.fetch_add(1, Ordering::Relaxed);
    let h = xxhash_rust::xxh3::xxh3_64(&[nanos.to_le_bytes(), c.to_le_bytes()].concat());
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Parses a `Retry-After` header value in seconds (HTTP dates are ignored).
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let s: f64 = v.trim().parse().ok()?;
    (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s.min(3600.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn server() -> LlmError {
        LlmError::Server { status: 500, message: "x".into() }
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let p = RetryPolicy { max_retries: 5, base_delay: Duration::from_millis(100), max_delay: Duration::from_millis(350) };
        let d1 = p.delay(1, &server());
        let d2 = p.delay(2, &server());
        let d5 = p.delay(5, &server());
        assert!(d1 >= Duration::from_millis(75) && d1 <= Duration::from_millis(100), "{d1:?}");
        assert!(d2 >= Duration::from_millis(150) && d2 <= Duration::from_millis(200), "{d2:?}");
        assert!(d5 <= Duration::from_millis(350), "{d5:?}");
        let rl = LlmError::RateLimited { message: String::new(), retry_after: Some(Duration::from_secs(2)) };
        assert_eq!(p.delay(1, &rl), Duration::from_millis(350));
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[tokio::test]
    async fn retries_are_bounded_and_fatal_errors_are_not_retried() {
        let p = RetryPolicy { max_retries: 2, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(2) };
        let calls = Cell::new(0);
        let retries = Cell::new(0);
        let r: Result<(), _> = p
            .run(
                |_| {
                    calls.set(calls.get() + 1);
                    async { Err(server()) }
                },
                |_, _| retries.set(retries.get() + 1),
            )
            .await;
        assert_eq!(calls.get(), 3);
        assert_eq!(retries.get(), 2);
        let e = r.unwrap_err();
        assert!(matches!(e, LlmError::GaveUp { attempts: 3, .. }), "{e:?}");
        assert!(matches!(e.root(), LlmError::Server { status: 500, .. }));

        calls.set(0);
        let r: Result<(), _> = p
            .run(
                |_| {
                    calls.set(calls.get() + 1);
                    async { Err(LlmError::Refused { status: 401, message: "bad key".into(), hint: String::new() }) }
                },
                |_, _| {},
            )
            .await;
        assert_eq!(calls.get(), 1);
        assert!(matches!(r, Err(LlmError::Refused { status: 401, .. })));

        let r = p.run(|n| async move { if n < 2 { Err(server()) } else { Ok(n) } }, |_, _| {}).await;
        assert_eq!(r.unwrap(), 2);
    }
}
