//! Fault injection for the token-lifecycle fault suite and the simulated year: a store
//! that throttles, loses answers or holds an operation at a gate until the test opens
//! it, and per-instance clocks that run ahead of or behind the true one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use pseudoproxy::config::{Clock, ManualClock};
use pseudoproxy::secrets::{Parameter, SecretError, SecretStore};
use tokio::sync::Notify;

/// A store operation, for choosing where a gate or a fault applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    Get,
    Put,
    Create,
    Delete,
}

/// Where an operation is held: before it reaches the store, or after the store did it
/// but before its answer returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    Before,
    After,
}

/// A one-shot gate on the first matching operation.
#[derive(Debug)]
struct Gate {
    op: Op,
    suffix: String,
    when: When,
    /// Matching operations to let through first.
    skip: usize,
    reached: Arc<Notify>,
    open: Arc<Notify>,
}

/// The test's side of a gate.
#[derive(Debug, Clone)]
pub(crate) struct GateHandle {
    reached: Arc<Notify>,
    open: Arc<Notify>,
}

impl GateHandle {
    /// Waits until an operation is held at the gate. A request that fails before it gets
    /// there would otherwise hang the suite: after 30 s the test fails instead.
    pub(crate) async fn reached(&self) {
        tokio::time::timeout(std::time::Duration::from_secs(30), self.reached.notified())
            .await
            .expect("no operation reached the gate within 30 s (did the request fail earlier?)");
    }

    /// Lets the held operation go on.
    pub(crate) fn open(&self) {
        self.open.notify_one();
    }
}

/// A planned fault: after `skip` matching operations, the next `count` fail.
#[derive(Debug)]
struct Planned {
    op: Op,
    suffix: String,
    skip: usize,
    count: usize,
    lost: bool,
}

/// What the chaos store did, by kind.
#[derive(Debug, Default, Clone)]
pub(crate) struct FaultCounts {
    /// Answered an error without doing the operation (throttling, timeout before send).
    pub refused: usize,
    /// Did the operation, then answered an error (the answer was lost).
    pub lost: usize,
}

/// A store over `inner` with random faults at `rate` per operation (half refused, half
/// with a lost answer), an optional gate, and a `released` signal after every delete.
#[derive(Debug)]
pub(crate) struct ChaosStore {
    pub inner: Arc<dyn SecretStore>,
    rate: Mutex<f64>,
    planned: Mutex<Vec<Planned>>,
    gate: Mutex<Option<Gate>>,
    pub counts: Mutex<FaultCounts>,
    /// Per operation, how many faults were injected.
    pub by_op: Mutex<HashMap<Op, usize>>,
    /// Notified after every completed delete (a lock release).
    pub deleted: Arc<Notify>,
}

impl ChaosStore {
    pub(crate) fn new(inner: Arc<dyn SecretStore>) -> ChaosStore {
        ChaosStore {
            inner,
            rate: Mutex::new(0.0),
            planned: Mutex::default(),
            gate: Mutex::new(None),
            counts: Mutex::default(),
            by_op: Mutex::default(),
            deleted: Arc::new(Notify::new()),
        }
    }

    /// From now on, each operation fails with probability `rate`.
    pub(crate) fn set_fault_rate(&self, rate: f64) {
        *self.rate.lock().unwrap() = rate;
    }

    /// After `skip` more `op`s on names ending with `suffix`, the next `count` fail:
    /// refused, or (`lost`) done with the answer lost.
    pub(crate) fn plan(&self, op: Op, suffix: &str, skip: usize, count: usize, lost: bool) {
        self.planned.lock().unwrap().push(Planned {
            op,
            suffix: suffix.to_owned(),
            skip,
            count,
            lost,
        });
    }

    /// Drops every planned fault (a thawed instance's store calls work again).
    pub(crate) fn clear_plan(&self) {
        self.planned.lock().unwrap().clear();
    }

    /// The planned fault for this operation, if one is due.
    fn planned_fault(&self, op: Op, name: &str) -> Option<bool> {
        let mut planned = self.planned.lock().unwrap();
        let plan = planned
            .iter_mut()
            .find(|p| p.op == op && name.ends_with(&p.suffix) && p.skip + p.count > 0)?;
        if plan.skip > 0 {
            plan.skip -= 1;
            return None;
        }
        plan.count -= 1;
        Some(plan.lost)
    }

    /// Holds the next `op` on a name ending with `suffix` at `when` until opened.
    pub(crate) fn gate(&self, op: Op, suffix: &str, when: When) -> GateHandle {
        self.gate_after(op, suffix, when, 0)
    }

    /// As [`ChaosStore::gate`], letting `skip` matching operations through first.
    pub(crate) fn gate_after(&self, op: Op, suffix: &str, when: When, skip: usize) -> GateHandle {
        let handle = GateHandle {
            reached: Arc::new(Notify::new()),
            open: Arc::new(Notify::new()),
        };
        *self.gate.lock().unwrap() = Some(Gate {
            op,
            suffix: suffix.to_owned(),
            when,
            skip,
            reached: handle.reached.clone(),
            open: handle.open.clone(),
        });
        handle
    }

    /// Takes the gate if it matches this operation.
    fn matching_gate(&self, op: Op, name: &str, when: When) -> Option<Gate> {
        let mut slot = self.gate.lock().unwrap();
        let gate = slot.as_mut()?;
        if gate.op != op || gate.when != when || !name.ends_with(&gate.suffix) {
            return None;
        }
        if gate.skip > 0 {
            gate.skip -= 1;
            return None;
        }
        slot.take()
    }

    async fn hold(&self, op: Op, name: &str, when: When) {
        if let Some(gate) = self.matching_gate(op, name, when) {
            gate.reached.notify_one();
            gate.open.notified().await;
        }
    }

    /// Waits (bounded by real time) until `name` is absent from the inner store: the
    /// detached refresh released its lock.
    pub(crate) async fn until_absent(&self, name: &str) {
        let wait = async {
            loop {
                let released = self.deleted.notified();
                tokio::pin!(released);
                released.as_mut().enable();
                if self.inner.get(name).await.unwrap().is_none() {
                    return;
                }
                released.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("{name} still held after 10 s"));
    }

    /// Whether to inject a fault now, and which: `Some(true)` = lost answer.
    fn dice(&self, op: Op, name: &str) -> Option<bool> {
        let lost = match self.planned_fault(op, name) {
            Some(lost) => lost,
            None => {
                let rate = *self.rate.lock().unwrap();
                if rate <= 0.0 || rand::random::<f64>() >= rate {
                    return None;
                }
                op != Op::Get && rand::random::<bool>()
            }
        };
        *self.by_op.lock().unwrap().entry(op).or_default() += 1;
        let mut counts = self.counts.lock().unwrap();
        if lost {
            counts.lost += 1;
        } else {
            counts.refused += 1;
        }
        Some(lost)
    }

    fn injected(name: &str, what: &str) -> SecretError {
        SecretError::Transient {
            name: name.to_owned(),
            reason: format!("injected {what}"),
        }
    }

    /// Runs `op` through the gate and the dice.
    async fn run<T>(
        &self,
        op: Op,
        name: &str,
        call: impl std::future::Future<Output = Result<T, SecretError>>,
    ) -> Result<T, SecretError> {
        self.hold(op, name, When::Before).await;
        let fault = self.dice(op, name);
        if fault == Some(false) {
            return Err(Self::injected(name, "ThrottlingException"));
        }
        let result = call.await;
        self.hold(op, name, When::After).await;
        match fault {
            Some(true) if result.is_ok() => Err(Self::injected(name, "timeout (answer lost)")),
            _ => result,
        }
    }
}

#[async_trait::async_trait]
impl SecretStore for ChaosStore {
    async fn get(&self, name: &str) -> Result<Option<Parameter>, SecretError> {
        self.run(Op::Get, name, self.inner.get(name)).await
    }
    async fn put(&self, name: &str, value: &str) -> Result<i64, SecretError> {
        self.run(Op::Put, name, self.inner.put(name, value)).await
    }
    async fn create_if_absent(&self, name: &str, value: &str) -> Result<bool, SecretError> {
        self.run(Op::Create, name, self.inner.create_if_absent(name, value))
            .await
    }
    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        let result = self.run(Op::Delete, name, self.inner.delete(name)).await;
        self.deleted.notify_waiters();
        result
    }
}

/// One instance's clock: the true (manual) clock plus a skew that can change.
#[derive(Debug)]
pub(crate) struct SkewedClock {
    base: Arc<ManualClock>,
    skew_secs: AtomicI64,
}

impl SkewedClock {
    pub(crate) fn new(base: Arc<ManualClock>) -> SkewedClock {
        SkewedClock {
            base,
            skew_secs: AtomicI64::new(0),
        }
    }

    /// Runs `secs` ahead of the true clock (behind when negative).
    pub(crate) fn set_skew(&self, secs: i64) {
        self.skew_secs.store(secs, Ordering::Relaxed);
    }
}

impl Clock for SkewedClock {
    fn now(&self) -> SystemTime {
        let skew = self.skew_secs.load(Ordering::Relaxed);
        let base = self.base.now();
        let by = Duration::from_secs(skew.unsigned_abs());
        if skew >= 0 { base + by } else { base - by }
    }
}
