//! `clientela-api serve`: open the store (migrating it), make sure an admin key exists, and
//! run the HTTP API until SIGTERM or Ctrl-C.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clientela_core::Timestamp;
use clientela_store::Store;

use crate::auth::{KeyChecker, Scope, create_key};
use crate::config::Settings;
use crate::rate_limit::RateLimit;
use crate::{AppState, run_with};

pub fn serve(settings: &Settings) -> anyhow::Result<()> {
    let store = Store::open(&settings.store_options()).context("could not open the database")?;
    ensure_admin_key(&store, &settings.data_dir)?;
    let resolver = Arc::new(super::resolver::load(settings)?);
    let mut state = AppState::new(store.clone(), resolver);
    state.strict_geo = settings.geo.strict;
    state.body_limit = settings.server.body_limit;
    state.body_timeout = Duration::from_secs(settings.server.body_timeout);
    state.max_header_bytes = settings.server.max_header_bytes;
    let rate_limit = &settings.rate_limit;
    state.keys = Arc::new(KeyChecker::with_rate_limit(RateLimit::per_second(
        rate_limit.per_second,
        rate_limit.burst,
    )));

    prune_changes_in_background(store.clone(), settings.changes.retention)?;

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

/// On the first start (no active key), creates an admin key, prints it once and writes it to
/// `<data_dir>/admin.key` (mode 0600) for the local console.
fn ensure_admin_key(store: &Store, data_dir: &Path) -> anyhow::Result<()> {
    if store.has_active_keys()? {
        return Ok(());
    }
    let key = create_key(store, "admin (first start)", Scope::Admin)?;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("could not create {}", data_dir.display()))?;
    let path = data_dir.join("admin.key");
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("could not write {}", path.display()))?;
    writeln!(file, "{}", key.token)?;
    println!(
        "created the first admin key; it is shown only this once and saved to {}:",
        path.display()
    );
    println!("  {}", key.token);
    Ok(())
}
