//! Limits on what is sent to the endpoint: at most `concurrency` requests in
//! flight (a semaphore) and at most `requests_per_second` request starts per
//! second (evenly spaced slots). Every attempt, retries included, goes through it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Shared by all calls of one client.
#[derive(Debug, Clone)]
pub struct Limiter {
    slots: Arc<Semaphore>,
    interval: Duration,
    next: Arc<Mutex<Option<Instant>>>,
}

/// Held while a request is in flight.
#[derive(Debug)]
pub struct Permit {
    /// `None` only if the semaphore were closed, which this type never does.
    _permit: Option<OwnedSemaphorePermit>,
}

impl Limiter {
    /// `concurrency` >= 1 (0 counts as 1); `requests_per_second` > 0 (else unlimited).
    pub fn new(concurrency: usize, requests_per_second: f64) -> Self {
        let interval = if requests_per_second.is_finite() && requests_per_second > 0.0 {
            Duration::from_secs_f64(1.0 / requests_per_second)
        } else {
            Duration::ZERO
        };
        Self { slots: Arc::new(Semaphore::new(concurrency.max(1))), interval, next: Arc::new(Mutex::new(None)) }
    }

    /// Waits for a free slot and for the next start time.
    pub async fn acquire(&self) -> Permit {
        let permit = self.slots.clone().acquire_owned().await.ok();
        if !self.interval.is_zero() {
            let start = {
                let mut next = self.next.lock().await;
                let now = Instant::now();
                let start = next.map_or(now, |n| n.max(now));
                *next = Some(start + self.interval);
                start
            };
            tokio::time::sleep_until(start).await;
        }
        Permit { _permit: permit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_per_second_spaces_starts() {
        let l = Limiter::new(8, 20.0);
        let t = Instant::now();
        for _ in 0..5 {
            let _p = l.acquire().await;
        }
        // 5 starts at 50 ms spacing: the last one at >= 200 ms.
        let e = t.elapsed();
        assert!(e >= Duration::from_millis(195), "{e:?}");
        assert!(e < Duration::from_millis(600), "{e:?}");
    }

    #[tokio::test]
    async fn concurrency_bounds_permits_in_flight() {
        let l = Limiter::new(2, 0.0);
        let a = l.acquire().await;
        let _b = l.acquire().await;
        let third = tokio::time::timeout(Duration::from_millis(50), l.acquire()).await;
        assert!(third.is_err(), "a third permit must wait");
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(200), l.acquire()).await;
        assert!(third.is_ok());
    }
}
