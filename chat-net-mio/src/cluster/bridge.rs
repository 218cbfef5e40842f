//! The bridge to the broker: `async-nats` on a small single-threaded tokio
//! runtime on a thread of its own. The caller submits [`Op`]s from any
//! thread without blocking; answers come back as [`Event`]s on a channel,
//! and each one calls the caller's `wake` (the mio loop's waker), so the
//! engine's thread never awaits anything.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, kv, stream};
use async_nats::{header, HeaderMap};
use futures_util::StreamExt;
use tokio::sync::mpsc as tmpsc;
use tokio::task::JoinHandle as TaskHandle;

use super::ops::{
    Append, BrokerState, BucketSpec, Event, KvEntry, Op, OpError, StreamEntry, StreamSpec, Written,
};

/// How to reach the broker.
#[derive(Clone, Debug)]
pub struct BridgeConfig {
    /// The broker's addresses (`nats://host:port`), any of which will do.
    pub servers: Vec<String>,
    /// The client's name in the broker's monitoring (the node's name).
    pub name: String,
    /// How long an append or write waits for the broker's answer before
    /// it is reported as [`OpError::Timeout`].
    pub op_timeout: Duration,
    /// How long a consumer or watch waits before starting again after the
    /// broker refused to create it.
    pub retry_delay: Duration,
}

impl BridgeConfig {
    /// One broker address, with the defaults: 2 s per operation, 250 ms
    /// between attempts to restart a consumer.
    pub fn new(server: impl Into<String>, name: impl Into<String>) -> BridgeConfig {
        BridgeConfig {
            servers: vec![server.into()],
            name: name.into(),
            op_timeout: Duration::from_secs(2),
            retry_delay: Duration::from_millis(250),
        }
    }
}

/// Why the bridge could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// The runtime or its thread could not be made.
    #[error("cannot start the broker thread: {0}")]
    Thread(#[from] std::io::Error),
    /// A broker address is not one the client understands.
    #[error("bad broker address {0:?}")]
    Address(String),
}

/// The caller's end of the bridge. Dropping it stops the runtime and its
/// thread.
pub struct Bridge {
    ops: tmpsc::UnboundedSender<Op>,
    events: mpsc::Receiver<Event>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge").finish_non_exhaustive()
    }
}

/// Where events go: the channel, then a wake-up for the loop that reads
/// it.
#[derive(Clone)]
struct Sink {
    tx: mpsc::Sender<Event>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl Sink {
    fn send(&self, event: Event) {
        // The caller dropped its end: nobody is listening any more.
        if self.tx.send(event).is_ok() {
            (self.wake)();
        }
    }
}

impl Bridge {
    /// Starts the runtime thread and the connection (which keeps trying
    /// in the background while the broker cannot be reached: the first
    /// [`Event::Broker`] says when it is up). `wake` is called after every
    /// event is queued.
    pub fn start(
        config: BridgeConfig,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Bridge, BridgeError> {
        let addrs = config
            .servers
            .iter()
            .map(|s| {
                s.parse::<async_nats::ServerAddr>()
                    .map_err(|_| BridgeError::Address(s.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (ops, ops_rx) = tmpsc::unbounded_channel();
        let (tx, events) = mpsc::channel();
        let sink = Sink { tx, wake };
        let thread = std::thread::Builder::new()
            .name("chat-broker".into())
            .spawn(move || runtime.block_on(run(config, addrs, ops_rx, sink)))?;
        Ok(Bridge {
            ops,
            events,
            thread: Some(thread),
        })
    }

    /// Queues an operation; never blocks.
    pub fn submit(&self, op: Op) {
        // The runtime is gone only once the bridge is dropped.
        let _ = self.ops.send(op);
    }

    /// The next event, if one is waiting.
    pub fn try_event(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// The next event, waiting up to `timeout` (for callers without a
    /// loop of their own, like tests and tools).
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // Closing the queue ends the runtime's loop, which drops the
        // client and every task.
        let (closed, _) = tmpsc::unbounded_channel();
        drop(std::mem::replace(&mut self.ops, closed));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The runtime's main task: connect, then serve operations until the
/// caller's end is dropped.
async fn run(
    config: BridgeConfig,
    addrs: Vec<async_nats::ServerAddr>,
    mut ops: tmpsc::UnboundedReceiver<Op>,
    sink: Sink,
) {
    let status = sink.clone();
    // Bumped at every (re)connection: consumers start again after one, as
    // what the broker delivered while the connection was down is lost.
    let connections = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = Arc::clone(&connections);
    let options = async_nats::ConnectOptions::new()
        .name(&config.name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(config.op_timeout)
        .request_timeout(Some(config.op_timeout))
        .reconnect_delay_callback(|attempts| {
            // Quickly at first (a broker restarting), then every second.
            Duration::from_millis((50 * attempts as u64).min(1_000))
        })
        .event_callback(move |event| {
            let status = status.clone();
            let counted = Arc::clone(&counted);
            async move {
                match event {
                    async_nats::Event::Connected => {
                        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        status.send(Event::Broker(BrokerState::Up));
                    }
                    async_nats::Event::Disconnected => {
                        status.send(Event::Broker(BrokerState::Down))
                    }
                    other => log::info!("broker: {other}"),
                }
            }
        });
    let client = match options.connect(addrs.as_slice()).await {
        Ok(client) => client,
        Err(e) => {
            // Only a bad option ends here (the connection itself is
            // retried): report the broker as down for good.
            log::error!("cannot use the broker: {e}");
            sink.send(Event::Broker(BrokerState::Down));
            return;
        }
    };
    let mut js = jetstream::new(client.clone());
    js.set_timeout(config.op_timeout);
    let mut bridge = Runtime {
        js,
        client,
        sink,
        config,
        buckets: Buckets::default(),
        consumers: HashMap::new(),
        watches: HashMap::new(),
        appends: None,
        connections,
    };
    while let Some(op) = ops.recv().await {
        bridge.serve(op);
    }
    for (_, task) in bridge.consumers.drain().chain(bridge.watches.drain()) {
        task.abort();
    }
}

/// The runtime's state: the client, open buckets, running consumers and
/// watches.
struct Runtime {
    js: jetstream::Context,
    client: async_nats::Client,
    sink: Sink,
    config: BridgeConfig,
    buckets: Buckets,
    consumers: HashMap<u64, TaskHandle<()>>,
    watches: HashMap<u64, TaskHandle<()>>,
    /// The queue of the task that sends appends in order.
    appends: Option<tmpsc::UnboundedSender<(u64, Append)>>,
    /// How many times the connection came up.
    connections: Arc<std::sync::atomic::AtomicU64>,
}

impl Runtime {
    fn serve(&mut self, op: Op) {
        match op {
            Op::EnsureStream { token, spec } => {
                let (js, sink) = (self.js.clone(), self.sink.clone());
                tokio::spawn(async move {
                    let result = ensure_stream(&js, spec).await;
                    sink.send(Event::Done { token, result });
                });
            }
            Op::EnsureBucket { token, spec } => {
                let (js, sink) = (self.js.clone(), self.sink.clone());
                tokio::spawn(async move {
                    let result = ensure_bucket(&js, spec).await;
                    sink.send(Event::Done { token, result });
                });
            }
            Op::Append { token, append } => {
                let queue = self.appends.get_or_insert_with(|| {
                    let (tx, rx) = tmpsc::unbounded_channel();
                    tokio::spawn(send_appends(self.js.clone(), rx, self.sink.clone()));
                    tx
                });
                let _ = queue.send((token, append));
            }
            Op::Consume {
                consumer,
                stream,
                filter,
                from_seq,
            } => {
                let task = tokio::spawn(consume(
                    self.js.clone(),
                    self.client.clone(),
                    consumer,
                    stream,
                    filter,
                    from_seq.max(1),
                    self.sink.clone(),
                    self.config.retry_delay,
                    Arc::clone(&self.connections),
                ));
                if let Some(old) = self.consumers.insert(consumer, task) {
                    old.abort();
                }
            }
            Op::StopConsume { consumer } => {
                if let Some(task) = self.consumers.remove(&consumer) {
                    task.abort();
                }
            }
            Op::KvWatch { watch, bucket } => {
                let task = tokio::spawn(watch_bucket(
                    self.js.clone(),
                    self.client.clone(),
                    watch,
                    bucket,
                    self.sink.clone(),
                    self.config.retry_delay,
                ));
                if let Some(old) = self.watches.insert(watch, task) {
                    old.abort();
                }
            }
            Op::StopWatch { watch } => {
                if let Some(task) = self.watches.remove(&watch) {
                    task.abort();
                }
            }
            Op::KvGet { token, bucket, key } => {
                let (js, buckets, sink) =
                    (self.js.clone(), self.buckets.clone(), self.sink.clone());
                tokio::spawn(async move {
                    let result = match open(&js, &buckets, &bucket).await {
                        Ok(store) => store
                            .entry(key)
                            .await
                            .map(|e| e.and_then(kv_entry).filter(|e| e.value.is_some()))
                            .map_err(|e| broker(&e)),
                        Err(e) => Err(e),
                    };
                    sink.send(Event::Got { token, result });
                });
            }
            Op::KvCreate {
                token,
                bucket,
                key,
                value,
            } => self.write(token, bucket, move |store| async move {
                store.create(key, value).await.map_err(|e| match e.kind() {
                    kv::CreateErrorKind::AlreadyExists => OpError::Exists,
                    _ => timeout_or(&e),
                })
            }),
            Op::KvUpdate {
                token,
                bucket,
                key,
                value,
                revision,
            } => self.write(token, bucket, move |store| async move {
                store
                    .update(key, value, revision)
                    .await
                    .map_err(|e| match e.kind() {
                        kv::UpdateErrorKind::WrongLastRevision => OpError::WrongSequence,
                        kv::UpdateErrorKind::TimedOut => OpError::Timeout,
                        _ => broker(&e),
                    })
            }),
            Op::KvPut {
                token,
                bucket,
                key,
                value,
            } => self.write(token, bucket, move |store| async move {
                store.put(key, value).await.map_err(|e| timeout_or(&e))
            }),
            Op::KvDelete {
                token,
                bucket,
                key,
                revision,
            } => self.write(token, bucket, move |store| async move {
                let result = match revision {
                    Some(r) => store.delete_expect_revision(key, Some(r)).await,
                    None => store.delete(key).await,
                };
                result.map(|()| 0).map_err(|e| {
                    if e.to_string().contains("wrong last sequence") {
                        OpError::WrongSequence
                    } else {
                        timeout_or(&e)
                    }
                })
            }),
        }
    }

    /// Runs a key-value write on its own task and reports it.
    fn write<F, Fut>(&mut self, token: u64, bucket: String, write: F)
    where
        F: FnOnce(kv::Store) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<u64, OpError>> + Send,
    {
        let (js, buckets, sink) = (self.js.clone(), self.buckets.clone(), self.sink.clone());
        let wait = self.config.op_timeout;
        tokio::spawn(async move {
            let result = match open(&js, &buckets, &bucket).await {
                Ok(store) => match tokio::time::timeout(wait, write(store)).await {
                    Ok(r) => r.map(|seq| Written {
                        seq,
                        duplicate: false,
                    }),
                    Err(_) => Err(OpError::Timeout),
                },
                Err(e) => Err(e),
            };
            sink.send(Event::Done { token, result });
        });
    }
}

/// Buckets opened so far, shared by the runtime's tasks (opening one is a
/// request to the broker).
type Buckets = Arc<Mutex<HashMap<String, kv::Store>>>;

/// The bucket's handle: the cached one, or opened now and cached.
async fn open(
    js: &jetstream::Context,
    buckets: &Buckets,
    bucket: &str,
) -> Result<kv::Store, OpError> {
    let cached = buckets.lock().ok().and_then(|b| b.get(bucket).cloned());
    if let Some(store) = cached {
        return Ok(store);
    }
    let store = js.get_key_value(bucket).await.map_err(|e| broker(&e))?;
    if let Ok(mut b) = buckets.lock() {
        b.insert(bucket.to_owned(), store.clone());
    }
    Ok(store)
}

fn broker(e: &dyn std::fmt::Display) -> OpError {
    OpError::Broker(e.to_string())
}

/// A timeout as [`OpError::Timeout`], anything else as a broker error.
fn timeout_or(e: &dyn std::fmt::Display) -> OpError {
    let text = e.to_string();
    if text.contains("timed out") {
        OpError::Timeout
    } else {
        OpError::Broker(text)
    }
}

fn kv_entry(e: kv::Entry) -> Option<KvEntry> {
    let value = match e.operation {
        kv::Operation::Put => Some(e.value),
        kv::Operation::Delete | kv::Operation::Purge => None,
    };
    Some(KvEntry {
        key: e.key,
        value,
        revision: e.revision,
    })
}

async fn ensure_stream(js: &jetstream::Context, spec: StreamSpec) -> Result<Written, OpError> {
    let config = stream::Config {
        name: spec.name,
        subjects: spec.subjects,
        max_messages_per_subject: spec.max_per_subject.map_or(-1, |n| n as i64),
        num_replicas: spec.replicas,
        duplicate_window: spec.duplicate_window,
        storage: stream::StorageType::File,
        ..Default::default()
    };
    js.create_or_update_stream(config)
        .await
        .map(|info| Written {
            seq: info.state.last_sequence,
            duplicate: false,
        })
        .map_err(|e| broker(&e))
}

/// A bucket is a stream named `KV_<bucket>` on `$KV.<bucket>.>`, one value
/// kept per key. Made here as a stream rather than with the client's
/// bucket call, which first asks for the account's details in a form
/// nats-server 2.9 does not answer in.
async fn ensure_bucket(js: &jetstream::Context, spec: BucketSpec) -> Result<Written, OpError> {
    let config = stream::Config {
        name: format!("KV_{}", spec.name),
        subjects: vec![format!("$KV.{}.>", spec.name)],
        max_messages_per_subject: 1,
        max_age: spec.max_age.unwrap_or_default(),
        storage: stream::StorageType::File,
        num_replicas: spec.replicas.max(1),
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    };
    js.create_or_update_stream(config)
        .await
        .map(|_| Written {
            seq: 0,
            duplicate: false,
        })
        .map_err(|e| broker(&e))
}

/// Sends appends in the order they were submitted (the send, not the
/// acknowledgement, fixes their order on the connection), each
/// acknowledgement awaited on a task of its own.
async fn send_appends(
    js: jetstream::Context,
    mut queue: tmpsc::UnboundedReceiver<(u64, Append)>,
    sink: Sink,
) {
    while let Some((token, append)) = queue.recv().await {
        let mut headers = HeaderMap::new();
        headers.insert(header::NATS_MESSAGE_ID, append.msg_id.as_str());
        if let Some(seq) = append.expect_last_subject_seq {
            headers.insert(
                header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
                seq.to_string().as_str(),
            );
        }
        match js
            .publish_with_headers(append.subject, headers, append.payload)
            .await
        {
            Ok(ack) => {
                let sink = sink.clone();
                tokio::spawn(async move {
                    let result = ack
                        .await
                        .map(|ack| Written {
                            seq: ack.sequence,
                            duplicate: ack.duplicate,
                        })
                        .map_err(|e| publish_error(&e));
                    sink.send(Event::Done { token, result });
                });
            }
            Err(e) => sink.send(Event::Done {
                token,
                result: Err(publish_error(&e)),
            }),
        }
    }
}

fn publish_error(e: &jetstream::context::PublishError) -> OpError {
    use jetstream::context::PublishErrorKind as K;
    match e.kind() {
        K::WrongLastSequence => OpError::WrongSequence,
        K::TimedOut => OpError::Timeout,
        _ => broker(e),
    }
}

/// One ordered consumer, delivering from `from_seq` on; started again
/// after the last delivered sequence whenever it fails, whenever it skips
/// (a consumer sequence not one more than the last: messages delivered
/// while the connection was down are lost), and after every reconnection.
#[allow(clippy::too_many_arguments)]
async fn consume(
    js: jetstream::Context,
    client: async_nats::Client,
    consumer: u64,
    stream: String,
    filter: Option<String>,
    from_seq: u64,
    sink: Sink,
    retry: Duration,
    connections: Arc<std::sync::atomic::AtomicU64>,
) {
    use std::sync::atomic::Ordering;
    let mut next = from_seq;
    loop {
        let connection = connections.load(Ordering::SeqCst);
        match open_consumer(&js, &stream, filter.clone(), next).await {
            Ok(mut messages) => {
                // The consumer exists before the flush returns, so a
                // message appended after this point is delivered.
                let _ = client.flush().await;
                let mut delivered = 0;
                loop {
                    let message =
                        match tokio::time::timeout(Duration::from_millis(250), messages.next())
                            .await
                        {
                            Ok(Some(m)) => m,
                            Ok(None) => break,
                            Err(_) if connections.load(Ordering::SeqCst) != connection => {
                                log::info!(
                                "consumer {consumer} of {stream}: reconnected; again from {next}"
                            );
                                break;
                            }
                            Err(_) => continue,
                        };
                    let message = match message {
                        Ok(m) => m,
                        Err(e) => {
                            log::warn!("consumer {consumer} of {stream}: {e}");
                            break;
                        }
                    };
                    let Ok(info) = message.info() else {
                        continue;
                    };
                    if info.consumer_sequence != delivered + 1 {
                        log::info!("consumer {consumer} of {stream}: skipped; again from {next}");
                        break;
                    }
                    delivered = info.consumer_sequence;
                    let seq = info.stream_sequence;
                    if seq < next {
                        continue;
                    }
                    next = seq + 1;
                    let msg_id = message
                        .headers
                        .as_ref()
                        .and_then(|h| h.get(header::NATS_MESSAGE_ID))
                        .map(|v| v.as_str().to_owned());
                    sink.send(Event::Entry {
                        consumer,
                        entry: StreamEntry {
                            seq,
                            subject: message.subject.to_string(),
                            msg_id,
                            payload: message.payload.clone(),
                        },
                    });
                }
            }
            Err(e) => {
                log::debug!("cannot start consumer {consumer} of {stream}: {e}");
            }
        }
        tokio::time::sleep(retry).await;
    }
}

/// A consumer from `from_seq`: ephemeral, unacknowledged, in memory, one
/// copy. Not the client's "ordered consumer", which notices a lost server
/// only after two 15 s heartbeats: this one's heartbeat is a second, and on
/// any error the caller makes a new one after the last sequence delivered,
/// which gives the same guarantee (in order, no gap, no duplicate) and
/// comes back within seconds of a broker server's loss.
async fn open_consumer(
    js: &jetstream::Context,
    stream: &str,
    filter: Option<String>,
    from_seq: u64,
) -> Result<consumer::pull::Stream, OpError> {
    let stream = js.get_stream(stream).await.map_err(|e| broker(&e))?;
    let config = consumer::pull::Config {
        filter_subject: filter.unwrap_or_default(),
        deliver_policy: consumer::DeliverPolicy::ByStartSequence {
            start_sequence: from_seq,
        },
        ack_policy: consumer::AckPolicy::None,
        inactive_threshold: Duration::from_secs(30),
        num_replicas: 1,
        memory_storage: true,
        ..Default::default()
    };
    let consumer = stream
        .create_consumer(config)
        .await
        .map_err(|e| broker(&e))?;
    consumer
        .stream()
        .max_messages_per_batch(256)
        .heartbeat(Duration::from_secs(1))
        .expires(Duration::from_secs(5))
        .messages()
        .await
        .map_err(|e| broker(&e))
}

/// One watch of a bucket: the current values, a [`Event::KvCurrent`], then
/// the changes; started again (from the current values) if it fails.
async fn watch_bucket(
    js: jetstream::Context,
    client: async_nats::Client,
    watch: u64,
    bucket: String,
    sink: Sink,
    retry: Duration,
) {
    loop {
        let watcher = match js.get_key_value(&bucket).await {
            Ok(store) => store.watch_with_history(">").await.map_err(|e| broker(&e)),
            Err(e) => Err(broker(&e)),
        };
        match watcher {
            Ok(mut entries) => {
                let _ = client.flush().await;
                let mut current = false;
                // An empty bucket has no entry to carry `seen_current`.
                if let Ok(store) = js.get_key_value(&bucket).await {
                    if let Ok(status) = store.status().await {
                        if status.values() == 0 {
                            current = true;
                            sink.send(Event::KvCurrent { watch });
                        }
                    }
                }
                while let Some(entry) = entries.next().await {
                    let entry = match entry {
                        Ok(e) => e,
                        Err(e) => {
                            log::warn!("watch {watch} of {bucket}: {e}");
                            break;
                        }
                    };
                    let caught_up = entry.seen_current || entry.delta == 0;
                    if let Some(entry) = kv_entry(entry) {
                        sink.send(Event::Kv { watch, entry });
                    }
                    if caught_up && !current {
                        current = true;
                        sink.send(Event::KvCurrent { watch });
                    }
                }
            }
            Err(e) => log::debug!("cannot watch {bucket}: {e}"),
        }
        tokio::time::sleep(retry).await;
    }
}
