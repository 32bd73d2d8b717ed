//! The monitoring runtime: the webhook listener, the inbox worker, catch-up polling and the
//! scheduled advisory sync, started and stopped as one unit. `depwatch serve` runs it
//! headless; the desktop shell starts the same thing.
//!
//! * The listener commits every authenticated delivery to the inbox before answering, also
//!   while monitoring is paused: Bitbucket never redelivers, so a delivery refused during a
//!   pause would be lost for good. Pausing stops the *work* (inbox processing, polling,
//!   advisory sync); resuming drains what arrived meanwhile and catches up at once.
//! * Catch-up runs at start, every poll interval, when the wall clock shows the machine slept
//!   ([`suspended_for`]), on resume, and when a delivery names a repository the inventory does
//!   not know yet. Each pass refreshes the inventory first, then the listener's perimeter.
//! * The advisory sync runs when the oldest configured source's last sync is older than the
//!   sync interval (so restarts do not re-download); when records changed, every stored latest
//!   snapshot is matched again and newly affected packages become `AdvisoryHit` findings.

mod perimeter_filter;
mod wake;

pub use depwatch_hook::Secret;
pub use perimeter_filter::PerimeterFilter;
pub use wake::{suspended_for, ClockSample};

use crate::advisory_db::DownloadLimits;
use crate::event::Event;
use crate::intake::WakingInbox;
use crate::push_processing::{CatchUpReport, PushProcessor};
use crate::ref_filter::RefFilter;
use crate::webhook_status::{WebhookBook, WebhookScope, WebhookState};
use crate::worker::Worker;
use crate::{App, AppError, Monitoring};
use depwatch_hook::{
    is_loopback_only, ConfigError, HookConfig, HookState, InstanceConfig, InstanceId, StoreInbox,
    DEFAULT_PORT,
};
use depwatch_store::{Store, StoreError};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch, Mutex, Notify};
use tokio::task::JoinHandle;

/// How often the poll loop samples the clocks to notice a suspension.
const HEARTBEAT: Duration = Duration::from_secs(30);
/// A wall-clock lead over the monotonic clock above this means the machine slept.
const SUSPEND_THRESHOLD: Duration = Duration::from_secs(60);
/// How long a listener restart on the same address waits for the old socket to close.
const REBIND_WAIT: Duration = Duration::from_secs(5);

/// The webhook secrets of one Bitbucket instance.
#[derive(Debug, Clone, Default)]
pub struct InstanceSecrets {
    /// The HMAC key depwatch generated and registered with its webhook.
    pub webhook_secret: Option<Secret>,
    /// A key the user typed for a webhook registered by hand; wins over `webhook_secret`. An
    /// empty one turns signature checking off for the instance.
    pub webhook_secret_override: Option<Secret>,
    /// The `?token=` of the Web Post Hooks plugin URL; `None` refuses plugin deliveries.
    pub plugin_token: Option<Secret>,
}

/// What the runtime needs. Fields not listed in [`MonitorHandle`]'s setters need a restart
/// (stop, then start with the new configuration).
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// Where the listener binds (default `0.0.0.0:28123`).
    pub listen: SocketAddr,
    /// Secrets by instance name.
    pub secrets: BTreeMap<String, InstanceSecrets>,
    /// HMAC key for instances without an entry in `secrets` (`serve --webhook-secret-env`).
    /// With neither, the instance accepts unsigned deliveries.
    pub default_secret: Option<Secret>,
    /// Time between catch-up passes; `None` = at start, on wake and on demand only.
    pub poll_interval: Option<Duration>,
    /// Branches monitored besides the default branch.
    pub ref_filter: RefFilter,
    /// Time between advisory syncs; `None` = never on its own.
    pub advisory_sync_interval: Option<Duration>,
    pub download_limits: DownloadLimits,
    /// Backstop inbox poll when no wake-up comes.
    pub worker_idle_poll: Duration,
    /// Repair, at every catch-up pass, the webhooks depwatch installed (the scopes the
    /// desktop's webhook book records as installed or failing), with the URL and secret of
    /// the saved settings; failures become `WebhookUnhealthy` events. Off for `serve`, whose
    /// `--listen` may differ from the saved settings.
    pub reconcile_webhooks: bool,
}

impl Default for MonitorConfig {
    fn default() -> MonitorConfig {
        MonitorConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], DEFAULT_PORT)),
            secrets: BTreeMap::new(),
            default_secret: None,
            poll_interval: Some(Duration::from_secs(15 * 60)),
            ref_filter: RefFilter::default(),
            advisory_sync_interval: Some(Duration::from_secs(6 * 3600)),
            download_limits: DownloadLimits::default(),
            worker_idle_poll: Duration::from_secs(5),
            reconcile_webhooks: false,
        }
    }
}

impl MonitorConfig {
    /// The configuration the saved settings describe: listen address, advisory sync interval
    /// (0 hours = never), ref patterns, the webhook secret (for every instance, also as the
    /// Web Post Hooks token), and webhook repair at every catch-up pass.
    ///
    /// # Errors
    /// The settings or the secret cannot be read, or a saved ref pattern is invalid.
    pub fn from_settings(app: &App) -> Result<MonitorConfig, crate::settings::SettingsError> {
        let settings = app.settings()?;
        let hours = u64::from(settings.sync_interval_hours);
        Ok(MonitorConfig {
            listen: settings.listen_addr(),
            default_secret: app.webhook_secret()?.map(|s| Secret::new(s.expose().to_owned())),
            ref_filter: settings.ref_filter()?,
            advisory_sync_interval: (hours > 0).then(|| Duration::from_secs(hours * 3600)),
            reconcile_webhooks: true,
            ..MonitorConfig::default()
        })
    }
}

/// Why the runtime could not start or a control call failed.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid listener configuration: {0}")]
    Listener(#[from] ConfigError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the monitor's {task} stopped: {message}")]
    Task { task: &'static str, message: String },
}

/// What the status area shows about the runtime.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorStatus {
    /// The address the listener is bound to (the real port when 0 was asked for).
    pub listen: SocketAddr,
    /// Bitbucket (on another machine) cannot reach a loopback-only listener.
    pub loopback_only: bool,
    pub monitoring: Monitoring,
    /// Repositories the listener accepts pushes for.
    pub monitored_repositories: usize,
    pub last_catch_up_at_ms: Option<i64>,
    pub last_catch_up: Option<CatchUpReport>,
    pub last_advisory_sync_at_ms: Option<i64>,
    /// Inbox entries finished since start.
    pub processed: u64,
    pub ignored: u64,
    pub failed: u64,
}

#[derive(Debug, Default)]
struct Progress {
    last_catch_up_at_ms: Option<i64>,
    last_catch_up: Option<CatchUpReport>,
    last_advisory_sync_at_ms: Option<i64>,
}

struct ListenerSlot {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

struct Shared {
    app: Arc<App>,
    config: StdMutex<MonitorConfig>,
    monitoring: watch::Sender<Monitoring>,
    stop: watch::Sender<bool>,
    poll_now: Arc<Notify>,
    sync_now: Notify,
    perimeter: Arc<PerimeterFilter>,
    worker: Worker,
    listener: Mutex<Option<ListenerSlot>>,
    progress: StdMutex<Progress>,
}

/// A background task of the runtime.
type Task = JoinHandle<Result<(), MonitorError>>;

/// Starts the runtime. See [`Monitor::start`].
#[derive(Debug, Clone, Copy)]
pub struct Monitor;

/// Controls a running monitor. Cheap to share (`Arc` it into the shell's state); every method
/// takes `&self`.
pub struct MonitorHandle {
    shared: Arc<Shared>,
    tasks: StdMutex<Vec<(&'static str, Task)>>,
}

impl std::fmt::Debug for MonitorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonitorHandle").finish_non_exhaustive()
    }
}

impl Monitor {
    /// Binds the listener on `config.listen`, then starts the worker, catch-up polling and the
    /// advisory sync on the current tokio runtime. Starts paused when the persisted monitoring
    /// state is paused (the listener still records deliveries).
    ///
    /// # Errors
    /// The address cannot be bound, the database cannot be read.
    pub async fn start(
        app: Arc<App>,
        config: MonitorConfig,
    ) -> Result<MonitorHandle, MonitorError> {
        let db = app.data_dir().database_path();
        let worker =
            Worker::new(Arc::new(Store::open(&db)?)).with_idle_poll(config.worker_idle_poll);
        let poll_now = Arc::new(Notify::new());
        let perimeter = Arc::new(PerimeterFilter::new(Arc::clone(&poll_now)));
        perimeter.refresh(app.store())?;
        let (monitoring, _) = watch::channel(app.monitoring()?);
        let (stop, _) = watch::channel(false);
        let listen = config.listen;
        let shared = Arc::new(Shared {
            app,
            config: StdMutex::new(config),
            monitoring,
            stop,
            poll_now,
            sync_now: Notify::new(),
            perimeter,
            worker,
            listener: Mutex::new(None),
            progress: StdMutex::new(Progress::default()),
        });
        let slot = start_listener(&shared, listen).await?;
        *shared.listener.lock().await = Some(slot);
        let processor = {
            let config = lock(&shared.config);
            Arc::new(PushProcessor::with_store_advisories(
                Arc::clone(&shared.app),
                config.ref_filter.clone(),
            ))
        };
        let tasks = vec![
            ("inbox worker", tokio::spawn(run_worker(Arc::clone(&shared), Arc::clone(&processor)))),
            ("catch-up poller", tokio::spawn(run_poller(Arc::clone(&shared), processor))),
            ("advisory sync", tokio::spawn(run_advisory_sync(Arc::clone(&shared)))),
        ];
        Ok(MonitorHandle { shared, tasks: StdMutex::new(tasks) })
    }
}

fn lock<T>(m: &StdMutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The Bitbucket host the plugin URL names: the base URL's authority as typed (host, and port
/// when given), as the desktop writes it into the URLs it installs.
fn bitbucket_host(base_url: &str) -> Option<String> {
    let (_, rest) = base_url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    (!authority.is_empty()).then(|| authority.to_owned())
}

/// The listener configuration: every configured instance with its secrets.
fn hook_config(
    app: &App,
    config: &MonitorConfig,
    bind: SocketAddr,
) -> Result<HookConfig, MonitorError> {
    let mut instances = Vec::new();
    for record in app.store().instances()? {
        let id = match InstanceId::new(record.name.clone()) {
            Ok(id) => id,
            Err(e) => {
                // Polling still covers it; only webhook delivery is impossible.
                tracing::warn!(instance = %record.name, error = %e, "instance cannot receive webhooks");
                continue;
            }
        };
        let mut instance = InstanceConfig::new(id);
        match config.secrets.get(&record.name) {
            Some(s) => {
                instance.webhook_secret.clone_from(&s.webhook_secret);
                instance.webhook_secret_override.clone_from(&s.webhook_secret_override);
                instance.plugin_token.clone_from(&s.plugin_token);
            }
            None => {
                // The desktop writes the webhook secret into the plugin URLs it installs.
                instance.webhook_secret.clone_from(&config.default_secret);
                instance.plugin_token.clone_from(&config.default_secret);
            }
        }
        instance.bitbucket_host = bitbucket_host(&record.base_url);
        instances.push(instance);
    }
    Ok(HookConfig { bind, instances, ..HookConfig::default() })
}

async fn start_listener(
    shared: &Arc<Shared>,
    addr: SocketAddr,
) -> Result<ListenerSlot, MonitorError> {
    let config = lock(&shared.config).clone();
    let hook = hook_config(&shared.app, &config, addr)?;
    let inbox_store = Arc::new(Store::open(&shared.app.data_dir().database_path())?);
    let inbox = WakingInbox::new(StoreInbox::new(inbox_store), shared.worker.waker());
    let repos: Arc<PerimeterFilter> = Arc::clone(&shared.perimeter);
    let state = HookState::new(hook, Arc::new(inbox), repos)?;
    let listener = bind(addr).await?;
    let bound =
        listener.local_addr().map_err(|source| MonitorError::Bind { address: addr, source })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(depwatch_hook::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    tracing::info!(%bound, "monitor listener bound");
    Ok(ListenerSlot { addr: bound, stop, task })
}

/// Binds, retrying briefly while the address is still held (a restart on the same address
/// waits for the previous listener to let go of it).
async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, MonitorError> {
    let deadline = Instant::now() + REBIND_WAIT;
    loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(source) => return Err(MonitorError::Bind { address: addr, source }),
        }
    }
}

async fn stop_listener(slot: ListenerSlot) {
    let _ = slot.stop.send(());
    match slot.task.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "webhook listener ended with an error"),
        Err(e) => tracing::warn!(error = %e, "webhook listener task failed"),
    }
}

impl MonitorHandle {
    /// The address the listener is bound to.
    pub async fn listen_addr(&self) -> Option<SocketAddr> {
        self.shared.listener.lock().await.as_ref().map(|s| s.addr)
    }

    /// Moves the listener to `addr` (or rebinds on the same address with the current
    /// instances and secrets when `None`). The new address is bound before the old listener
    /// stops, so a bad address leaves the old one serving. Returns the bound address.
    ///
    /// # Errors
    /// The new address cannot be bound; the database cannot be read.
    pub async fn restart_listener(
        &self,
        addr: Option<SocketAddr>,
    ) -> Result<SocketAddr, MonitorError> {
        let mut slot = self.shared.listener.lock().await;
        let current = slot.as_ref().map(|s| s.addr);
        let target = addr.or(current).unwrap_or(lock(&self.shared.config).listen);
        // Port 0 asks for a fresh port, so only an explicit equal address is "the same".
        let same = current.is_some_and(|c| addr.is_none_or(|a| a == c));
        let fresh = if same {
            if let Some(old) = slot.take() {
                stop_listener(old).await;
            }
            start_listener(&self.shared, current.unwrap_or(target)).await?
        } else {
            let fresh = start_listener(&self.shared, target).await?;
            if let Some(old) = slot.take() {
                stop_listener(old).await;
            }
            fresh
        };
        let bound = fresh.addr;
        lock(&self.shared.config).listen = target;
        *slot = Some(fresh);
        Ok(bound)
    }

    /// Replaces the webhook secrets and restarts the listener on its address so they apply.
    ///
    /// # Errors
    /// As [`MonitorHandle::restart_listener`].
    pub async fn set_secrets(
        &self,
        secrets: BTreeMap<String, InstanceSecrets>,
        default_secret: Option<Secret>,
    ) -> Result<SocketAddr, MonitorError> {
        {
            let mut config = lock(&self.shared.config);
            config.secrets = secrets;
            config.default_secret = default_secret;
        }
        self.restart_listener(None).await
    }

    /// Pauses or resumes monitoring and persists the choice. Paused: deliveries are still
    /// recorded in the inbox, nothing is processed, polled or synced. Resumed: the backlog is
    /// processed and a catch-up pass runs at once.
    ///
    /// # Errors
    /// The setting cannot be written.
    pub fn set_monitoring(&self, monitoring: Monitoring) -> Result<Monitoring, MonitorError> {
        let state = self.shared.app.set_monitoring(monitoring)?;
        self.shared.monitoring.send_replace(state);
        Ok(state)
    }

    /// The monitoring state in force.
    pub fn monitoring(&self) -> Monitoring {
        *self.shared.monitoring.borrow()
    }

    /// Asks for a catch-up pass now (runs once monitoring is active).
    pub fn catch_up_now(&self) {
        self.shared.poll_now.notify_one();
    }

    /// Asks for an advisory sync now (runs once monitoring is active).
    pub fn sync_advisories_now(&self) {
        self.shared.sync_now.notify_one();
    }

    /// Reloads the listener's perimeter after the user changed it.
    ///
    /// # Errors
    /// Database errors.
    pub fn refresh_perimeter(&self) -> Result<(), MonitorError> {
        Ok(self.shared.perimeter.refresh(self.shared.app.store())?)
    }

    /// Address, state and progress.
    pub async fn status(&self) -> MonitorStatus {
        let listen = self.listen_addr().await.unwrap_or(lock(&self.shared.config).listen);
        let progress = lock(&self.shared.progress);
        let stats = self.shared.worker.stats();
        MonitorStatus {
            listen,
            loopback_only: is_loopback_only(&listen),
            monitoring: self.monitoring(),
            monitored_repositories: self.shared.perimeter.monitored_count(),
            last_catch_up_at_ms: progress.last_catch_up_at_ms,
            last_catch_up: progress.last_catch_up.clone(),
            last_advisory_sync_at_ms: progress.last_advisory_sync_at_ms,
            processed: stats.processed.load(std::sync::atomic::Ordering::Relaxed),
            ignored: stats.ignored.load(std::sync::atomic::Ordering::Relaxed),
            failed: stats.failed.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Stops everything: the listener stops accepting and finishes in-flight requests, the
    /// worker finishes the entry in progress, a running catch-up or sync is abandoned (its
    /// work is idempotent and resumes at the next start). Idempotent.
    ///
    /// # Errors
    /// The first task that had failed, with its error.
    pub async fn stop(&self) -> Result<(), MonitorError> {
        self.shared.stop.send_replace(true);
        if let Some(slot) = self.shared.listener.lock().await.take() {
            stop_listener(slot).await;
        }
        let tasks = std::mem::take(&mut *lock(&self.tasks));
        let mut first_error = None;
        for (name, task) in tasks {
            let outcome = if name == "inbox worker" {
                task.await
            } else {
                // Network calls may be in flight; their work is redone next time.
                task.abort();
                match task.await {
                    Err(e) if e.is_cancelled() => Ok(Ok(())),
                    other => other,
                }
            };
            let error = match outcome {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e),
                Err(e) => Some(MonitorError::Task { task: name, message: e.to_string() }),
            };
            if let Some(e) = error {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

async fn run_worker(
    shared: Arc<Shared>,
    processor: Arc<PushProcessor>,
) -> Result<(), MonitorError> {
    let worker = &shared.worker;
    let requeued = worker.recover()?;
    if requeued > 0 {
        tracing::info!(requeued, "resuming inbox entries left by a previous run");
    }
    let mut monitoring = shared.monitoring.subscribe();
    let mut stop = shared.stop.subscribe();
    let wake = worker.waker();
    loop {
        while *monitoring.borrow_and_update() == Monitoring::Active && !*stop.borrow() {
            if !worker.process_next(processor.as_ref()).await? {
                break;
            }
        }
        if *stop.borrow() {
            return Ok(());
        }
        tokio::select! {
            r = stop.changed() => if r.is_err() { return Ok(()) },
            r = monitoring.changed() => if r.is_err() { return Ok(()) },
            () = wake.notified() => {}
            () = tokio::time::sleep(worker.idle_poll()) => {}
        }
    }
}

async fn run_poller(
    shared: Arc<Shared>,
    processor: Arc<PushProcessor>,
) -> Result<(), MonitorError> {
    let interval = lock(&shared.config).poll_interval.filter(|d| !d.is_zero());
    let heartbeat = interval.map_or(HEARTBEAT, |i| i.min(HEARTBEAT));
    let mut monitoring = shared.monitoring.subscribe();
    let mut stop = shared.stop.subscribe();
    let mut due = true;
    let mut next = Instant::now();
    let mut clocks = ClockSample::now();
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        if due && *monitoring.borrow_and_update() == Monitoring::Active {
            due = false;
            catch_up_pass(&shared, &processor).await?;
            if let Some(i) = interval {
                next = Instant::now() + i;
            }
        }
        tokio::select! {
            r = stop.changed() => if r.is_err() { return Ok(()) },
            r = monitoring.changed() => {
                if r.is_err() { return Ok(()) }
                if *monitoring.borrow() == Monitoring::Active { due = true; }
            }
            () = shared.poll_now.notified() => due = true,
            () = tokio::time::sleep(heartbeat) => {
                let now = ClockSample::now();
                if let Some(slept) = suspended_for(&clocks, &now, SUSPEND_THRESHOLD) {
                    tracing::info!(slept_secs = slept.as_secs(), "the machine slept; catching up");
                    due = true;
                }
                clocks = now;
                if interval.is_some() && Instant::now() >= next {
                    due = true;
                }
            }
        }
    }
}

/// Inventory refresh of every instance, the listener's perimeter, then catch-up.
async fn catch_up_pass(shared: &Shared, processor: &PushProcessor) -> Result<(), MonitorError> {
    let app = &shared.app;
    let mut inventory_errors = Vec::new();
    for instance in app.store().instances()? {
        if let Err(e) = app.refresh_inventory(Some(&instance.name)).await {
            tracing::warn!(instance = %instance.name, error = %e, "inventory refresh failed");
            inventory_errors.push(format!("{}: inventory: {e}", instance.name));
        }
    }
    shared.perimeter.refresh(app.store())?;
    if lock(&shared.config).reconcile_webhooks {
        reconcile_webhooks(shared).await?;
    }
    let mut report = match processor.catch_up().await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "catch-up failed");
            CatchUpReport { errors: vec![e.to_string()], ..CatchUpReport::default() }
        }
    };
    inventory_errors.append(&mut report.errors);
    report.errors = inventory_errors;
    {
        let mut progress = lock(&shared.progress);
        progress.last_catch_up_at_ms = Some(crate::instance::now_ms());
        progress.last_catch_up = Some(report.clone());
    }
    app.events().emit(Event::CatchUpFinished { report });
    Ok(())
}

/// The scopes of a webhook book to repair: projects and repositories where depwatch installed
/// (or tried to install) its webhook; a repository its project's installation covers is not
/// repaired on its own.
pub fn scopes_to_reconcile(book: &WebhookBook) -> Vec<String> {
    let ours =
        |state: WebhookState| matches!(state, WebhookState::Installed | WebhookState::Failing);
    let projects: Vec<&String> = book
        .scopes
        .iter()
        .filter(|(k, v)| !k.contains('/') && ours(v.state))
        .map(|(k, _)| k)
        .collect();
    book.scopes
        .iter()
        .filter(|(_, v)| ours(v.state))
        .filter(|(k, _)| match k.split_once('/') {
            None => true,
            Some((project, _)) => !projects.iter().any(|p| p.as_str() == project),
        })
        .map(|(k, _)| k.clone())
        .collect()
}

/// Repairs depwatch's webhooks (see [`MonitorConfig::reconcile_webhooks`]) and emits
/// `WebhookUnhealthy` for every scope that could not be put right.
async fn reconcile_webhooks(shared: &Shared) -> Result<(), MonitorError> {
    let app = &shared.app;
    let unhealthy = |instance: &str, scope: &str, message: String| {
        tracing::warn!(instance, scope, %message, "webhook unhealthy");
        app.events().emit(Event::WebhookUnhealthy {
            instance: instance.to_owned(),
            scope: scope.to_owned(),
            message,
        });
    };
    for instance in app.store().instances()? {
        let book = match app.webhook_book(&instance) {
            Ok(b) => b,
            Err(e) => {
                unhealthy(&instance.name, "", e.to_string());
                continue;
            }
        };
        let scopes = scopes_to_reconcile(&book);
        if scopes.is_empty() {
            continue;
        }
        // The secret store may block (keychain over D-Bus).
        let desired = {
            let app = Arc::clone(app);
            let record = instance.clone();
            tokio::task::spawn_blocking(move || app.desired_webhook(&record)).await.map_err(
                |e| MonitorError::Task { task: "webhook repair", message: e.to_string() },
            )?
        };
        let desired = match desired {
            Ok(d) => d,
            Err(e) => {
                unhealthy(&instance.name, "", e.to_string());
                continue;
            }
        };
        for label in scopes {
            let scope = match label.split_once('/') {
                None => WebhookScope::Project(label.clone()),
                Some((project, slug)) => {
                    match app.store().repository_by_slug(instance.id, project, slug)? {
                        Some(repo) => WebhookScope::Repository(repo.id.0),
                        // Renamed or gone since: its new name is reconciled once reinstalled.
                        None => continue,
                    }
                }
            };
            match app.install_webhook(&instance, &scope, &desired).await {
                Ok(outcomes) => {
                    for (scope, status) in outcomes {
                        if status.state == WebhookState::Failing {
                            unhealthy(&instance.name, &scope, status.detail.unwrap_or_default());
                        }
                    }
                }
                Err(e) => unhealthy(&instance.name, &label, e.to_string()),
            }
        }
    }
    Ok(())
}

/// How long until the next advisory sync: `interval` after the oldest configured source's
/// last sync (`None` = never synced: now). Unix seconds.
pub fn next_advisory_sync_in(
    oldest_last_sync: Option<i64>,
    now_unix: i64,
    interval: Duration,
) -> Duration {
    let Some(last) = oldest_last_sync else { return Duration::ZERO };
    let age = u64::try_from(now_unix.saturating_sub(last)).unwrap_or(0);
    interval.saturating_sub(Duration::from_secs(age))
}

fn oldest_sync(app: &App) -> Result<Option<i64>, StoreError> {
    let sources: Vec<_> =
        app.store().advisory_sources()?.into_iter().filter(|s| s.configured).collect();
    if sources.is_empty() || sources.iter().any(|s| s.last_sync_at.is_none()) {
        return Ok(None);
    }
    Ok(sources.iter().filter_map(|s| s.last_sync_at).min())
}

async fn run_advisory_sync(shared: Arc<Shared>) -> Result<(), MonitorError> {
    let interval = lock(&shared.config).advisory_sync_interval.filter(|d| !d.is_zero());
    let mut monitoring = shared.monitoring.subscribe();
    let mut stop = shared.stop.subscribe();
    let mut requested = false;
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let wait = match interval {
            Some(i) => Some(next_advisory_sync_in(oldest_sync(&shared.app)?, now_unix(), i)),
            None => None,
        };
        let active = *monitoring.borrow_and_update() == Monitoring::Active;
        if active && (requested || wait == Some(Duration::ZERO)) {
            requested = false;
            sync_pass(&shared).await?;
            continue;
        }
        // Re-checked at least every heartbeat, so a suspended machine syncs soon after waking.
        let sleep = wait.map_or(HEARTBEAT, |w| w.min(HEARTBEAT));
        tokio::select! {
            r = stop.changed() => if r.is_err() { return Ok(()) },
            r = monitoring.changed() => if r.is_err() { return Ok(()) },
            () = shared.sync_now.notified() => requested = true,
            () = tokio::time::sleep(sleep) => {}
        }
    }
}

fn now_unix() -> i64 {
    crate::instance::now_ms() / 1000
}

async fn sync_pass(shared: &Arc<Shared>) -> Result<(), MonitorError> {
    let app = Arc::clone(&shared.app);
    let limits = lock(&shared.config).download_limits.clone();
    // Downloads, imports and matching block (reqwest blocking, SQLite): one blocking task.
    tokio::task::spawn_blocking(move || app.refresh_advisories(&limits))
        .await
        .map_err(|e| MonitorError::Task { task: "advisory sync", message: e.to_string() })?;
    lock(&shared.progress).last_advisory_sync_at_ms = Some(crate::instance::now_ms());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_sync_is_due_an_interval_after_the_oldest_source_sync() {
        let six_hours = Duration::from_secs(6 * 3600);
        assert_eq!(next_advisory_sync_in(None, 1_000_000, six_hours), Duration::ZERO);
        assert_eq!(
            next_advisory_sync_in(Some(1_000_000 - 3600), 1_000_000, six_hours),
            Duration::from_secs(5 * 3600)
        );
        assert_eq!(
            next_advisory_sync_in(Some(1_000_000 - 7 * 3600), 1_000_000, six_hours),
            Duration::ZERO
        );
        // A last sync "in the future" (clock set back) waits one full interval at most.
        assert_eq!(next_advisory_sync_in(Some(2_000_000), 1_000_000, six_hours), six_hours);
    }

    #[test]
    fn installed_and_failing_scopes_are_repaired_once() {
        use crate::webhook_status::WebhookStatus;
        let status = |state| WebhookStatus { state, detail: None, checked_at_ms: Some(1) };
        let book = WebhookBook {
            scopes: BTreeMap::from([
                ("SHOP".to_owned(), status(WebhookState::Installed)),
                ("SHOP/web".to_owned(), status(WebhookState::Installed)),
                ("PLAT".to_owned(), status(WebhookState::Polling)),
                ("PLAT/api".to_owned(), status(WebhookState::Failing)),
                ("PLAT/old".to_owned(), status(WebhookState::Missing)),
                ("~JDOE/tool".to_owned(), status(WebhookState::Polling)),
            ]),
        };
        assert_eq!(scopes_to_reconcile(&book), ["PLAT/api", "SHOP"]);
        assert!(scopes_to_reconcile(&WebhookBook::default()).is_empty());
    }

    #[test]
    fn the_plugin_host_keeps_a_non_default_port_and_drops_the_context_path() {
        assert_eq!(bitbucket_host("https://git.corp/bitbucket").as_deref(), Some("git.corp"));
        assert_eq!(bitbucket_host("http://10.0.0.5:7990/").as_deref(), Some("10.0.0.5:7990"));
        assert_eq!(bitbucket_host("https://u@git.corp:8443").as_deref(), Some("git.corp:8443"));
        assert_eq!(bitbucket_host("not a url"), None);
    }
}
