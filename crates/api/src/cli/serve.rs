//! `clientela-api serve`: open the store (migrating it), make sure an admin key exists, and
//! run the HTTP API until SIGTERM or Ctrl-C.

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clientela_core::Timestamp;
use clientela_store::Store;

use crate::auth::{KeyChecker, Scope, create_key};
use crate::config::Settings;
use crate::rate_limit::RateLimit;
use crate::server::run_with;
use crate::state::AppState;

pub fn serve(settings: &Settings) -> anyhow::Result<()> {
    let store = Store::open(&settings.store_options()).context("could not open the database")?;
    ensure_admin_key(&store, &settings.data_dir)?;
    let resolver = Arc::new(super::resolver::load(settings)?);
    let mut state = AppState::new(store.clone(), resolver);
    state.strict_geo = settings.geo.strict;
    state.body_limit = settings.server.body_limit;
    state.body_timeout = Duration::from_secs(settings.server.body_timeout);
    state.max_header_bytes = settings.server.max_header_bytes;
    state.large_bodies = Arc::new(tokio::sync::Semaphore::new(
        settings.server.large_body_slots,
    ));
    state.write_slots = Arc::new(tokio::sync::Semaphore::new(
        settings.database.write_pool_size.max(1) as usize,
    ));
    state.read_slots = Arc::new(tokio::sync::Semaphore::new(
        settings.database.pool_size.max(1) as usize,
    ));
    state.slot_timeout = Duration::from_secs(settings.database.connect_timeout.max(1));
    state.commit_timeout = Duration::from_millis(settings.database.commit_timeout.max(1));
    state.read_timeout = Duration::from_millis(settings.database.read_timeout.max(1));
    state.standby =
        crate::state::Standby::of(&store, Duration::from_millis(settings.database.read_wait));
    let rate_limit = &settings.rate_limit;
    state.keys = Arc::new(KeyChecker::with_rate_limit(RateLimit::per_second(
        rate_limit.per_second,
        rate_limit.burst,
    )));

    state.webhooks = settings.webhooks.options();
    state.webhooks.store_deadline = state.read_timeout;

    prune_changes_in_background(store.clone(), settings.changes.retention)?;
    let deliverer = crate::webhooks::deliverer::Deliverer::start(
        store.clone(),
        state.webhooks,
        state.feed.clone(),
        state.metrics.clone(),
    )
    .context("could not start the webhook deliverer")?;

    let listener = TcpListener::bind(&settings.server.bind)
        .with_context(|| format!("could not listen on {}", settings.server.bind))?;
    let address = listener.local_addr()?;
    let options = settings.server_options();
    actix_web::rt::System::new().block_on(async move {
        let server = run_with(listener, state, options)?;
        tracing::info!(%address, database = store.kind(), "clientela-api started");
        println!("listening on http://{address}");
        server.await
    })?;
    // Gives this replica's webhook leases up, so another replica takes them at once.
    drop(deliverer);
    crate::http::access_log::log_refused_left_out();
    tracing::info!("clientela-api stopped");
    Ok(())
}

/// Every minute, removes the feed's changes older than `retention` seconds. Each replica
/// runs it; the deletes are idempotent, so they only share the work.
fn prune_changes_in_background(store: Store, retention: u64) -> anyhow::Result<()> {
    const EVERY: Duration = Duration::from_secs(60);
    let retention = i64::try_from(retention.saturating_mul(1_000_000)).unwrap_or(i64::MAX);
    std::thread::Builder::new()
        .name("prune-changes".into())
        .spawn(move || {
            loop {
                let cutoff = Timestamp(Timestamp::now().micros().saturating_sub(retention));
                match store.prune_changes(cutoff) {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "changes past retention removed"),
                    Err(error) => tracing::warn!(%error, "could not remove old changes"),
                }
                std::thread::sleep(EVERY);
            }
        })
        .context("could not start the change feed's retention thread")?;
    Ok(())
}

/// On the first start (no active key), creates an admin key and writes it to
/// `<data_dir>/admin.key` for the local console. The secret goes only into that file: the
/// output (which ends up in container logs) says where the key is and its id.
fn ensure_admin_key(store: &Store, data_dir: &Path) -> anyhow::Result<()> {
    if store.has_active_keys()? {
        return Ok(());
    }
    let key = create_key(store, "admin (first start)", Scope::Admin)?;
    let path = data_dir.join("admin.key");
    write_private_file(&path, &format!("{}\n", key.token))
        .with_context(|| format!("could not write {}", path.display()))?;
    println!(
        "created the first admin key (id {}); its secret is in {} (mode 0600)",
        key.id,
        path.display()
    );
    Ok(())
}

/// Writes `contents` to `path` atomically with mode 0600, whatever was there before: a new
/// file (created 0600 by `tempfile`) in the same folder is renamed over it, so the secret
/// is never in a file others may read, and a reader sees the old file or the new one, never
/// half of one. The folder is created with mode 0700 when missing.
pub fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    let folder = path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !folder.is_dir() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)?;
    }
    let mut file = tempfile::NamedTempFile::new_in(folder)?;
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(contents.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}
