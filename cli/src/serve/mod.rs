//! `serve`: the token service. The identity-token endpoint over HTTP for backends in languages
//! without a wrapper (PHP, .NET, ...) and for operators, with caller authentication, health,
//! readiness, metrics, logs, key reload and graceful shutdown; and the validation page.

mod app;
mod caller;
mod keys;
mod metrics;
mod tools;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::value_parser;
use tokio::signal::unix::{signal, SignalKind};

use crate::failure::Failure;
use crate::server::{self, Address, LogLine};
use app::Service;
use caller::{CallerCheck, SERVICE_TOKEN_VAR};
use keys::{Key, Keys, Reloaded};
use metrics::Metrics;

#[derive(clap::Args)]
#[command(
    about = "Serve the identity-token endpoint, the validation page and metrics over HTTP",
    long_about = "Serve POST /identity-token over HTTP with the key from the environment: the \
        same endpoint as every language's (tests/endpoint/README.md), for backends in languages \
        without a wrapper and for operators. The caller names the user in user_id and must \
        present LAYER_SERVICE_TOKEN as a bearer token when it is set; on an address other than \
        loopback the service refuses to start without it.\n\n\
        Also: GET /healthz, GET /readyz (503 while draining), GET /metrics (Prometheus), and at \
        / the validation page (validate a token rule by rule, generate a key pair, mint a test \
        token). One JSON log line per request on stderr. SIGHUP, or a change of the file \
        LAYER_PRIVATE_KEY_PATH names, reloads the key (a bad key leaves the old one serving); \
        SIGTERM stops accepting, finishes the requests in flight and exits 0.",
    after_help = concat!(
        "Configuration (flags take precedence):
  LAYER_PROVIDER_ID, LAYER_KEY_ID, LAYER_PRIVATE_KEY or LAYER_PRIVATE_KEY_PATH,
  LAYER_PRIVATE_KEY_PASSPHRASE, LAYER_TOKEN_TYPE   the signing key, as for `sign`
  LAYER_SERVICE_TOKEN   the secret callers send as `Authorization: Bearer <token>`
                        (required unless HOST is a loopback address)
  HOST                  address to listen on [default: 127.0.0.1]
  PORT                  port to listen on [default: 8080; 0 picks a free one]

Examples:
  export LAYER_PROVIDER_ID=layer:///providers/<uuid> LAYER_KEY_ID=layer:///keys/<uuid>
  export LAYER_PRIVATE_KEY_PATH=layer-private.pem
  layer-identity serve
  curl -s http://127.0.0.1:8080/identity-token -d user_id=alice -d nonce=\"$NONCE\"

  LAYER_SERVICE_TOKEN=$(openssl rand -hex 32) HOST=0.0.0.0 layer-identity serve

",
        exit_status_help!()
    )
)]
pub struct Args {
    /// Address to listen on [env: HOST] [default: 127.0.0.1]
    #[arg(long, value_name = "HOST")]
    host: Option<String>,

    /// Port to listen on; 0 picks a free port [env: PORT] [default: 8080]
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,

    /// Serve only the endpoint and the operations routes: no validation page, no /api
    #[arg(long)]
    no_tools: bool,

    /// How often to look for a change of the key file (LAYER_PRIVATE_KEY_PATH); 0: only on
    /// SIGHUP
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 2,
        value_parser = value_parser!(u64).range(0..=3600)
    )]
    key_poll: u64,

    /// How long a request body may take to arrive before the answer is 408
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = server::BODY_TIMEOUT_SECONDS,
        value_parser = value_parser!(u64).range(1..=3600)
    )]
    body_timeout: u64,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    // Everything that can be wrong with the configuration is said before listening.
    let key = Key::from_env().map_err(Failure::from)?;
    let caller = CallerCheck::from_env()?;
    let (host, port) = server::host_and_port(args.host.as_deref(), args.port)?;
    let runtime = server::runtime()?;
    runtime.block_on(async {
        let address = Address::resolve(&host, port).await?;
        if !address.is_loopback() && !caller.required() {
            return Err(Failure::usage(format!(
                "{host} is not a loopback address, and {SERVICE_TOKEN_VAR} is not set: anyone \
                 who reaches the port could mint tokens for any user; set {SERVICE_TOKEN_VAR} to \
                 a secret that callers send as `Authorization: Bearer <token>` (make one with \
                 `openssl rand -hex 32`), or listen on 127.0.0.1"
            )));
        }
        let (listener, url) = address.bind().await?;
        if caller.required() {
            LogLine::new("info", "caller_authentication")
                .text(
                    "message",
                    &format!(
                        "callers present {SERVICE_TOKEN_VAR} as a bearer token; an authenticated \
                         caller names the user in user_id"
                    ),
                )
                .write();
        } else {
            LogLine::new("warn", "no_caller_authentication")
                .text(
                    "message",
                    &format!(
                        "WARNING: {SERVICE_TOKEN_VAR} is not set, so every process on this \
                         machine can mint identity tokens for any user_id it names; set \
                         {SERVICE_TOKEN_VAR} to require a bearer token"
                    ),
                )
                .write();
        }
        let started = keys::unix_seconds(SystemTime::now());
        let keys = Arc::new(Keys::new(key));
        let metrics = Arc::new(Metrics::new(started));
        let service = Arc::new(Service::new(
            Arc::clone(&keys),
            Arc::clone(&metrics),
            caller,
            !args.no_tools,
            Duration::from_secs(args.body_timeout),
        ));
        let current = keys.current();
        LogLine::new("info", "started")
            .text("url", &url)
            .text("key_id", &current.key_id)
            .text("public_key_sha256", &current.fingerprint)
            .text("tools", if args.no_tools { "off" } else { "on" })
            .write();
        drop(current);
        spawn_reloads(&keys, &metrics, args.key_poll)?;
        server::announce(&url)?;
        server::serve(listener, service).await
    })
}

/// SIGHUP, and (every `poll` seconds, unless 0) a change of the key file, reload the key.
fn spawn_reloads(keys: &Arc<Keys>, metrics: &Arc<Metrics>, poll: u64) -> Result<(), Failure> {
    let record = {
        let metrics = Arc::clone(metrics);
        move |reloaded: Reloaded| match reloaded {
            Reloaded::Loaded => metrics.reloaded(true),
            Reloaded::Failed => metrics.reloaded(false),
            Reloaded::Inline => {}
        }
    };
    let mut hangup = signal(SignalKind::hangup())
        .map_err(|e| Failure::usage(format!("cannot handle SIGHUP: {e}")))?;
    let on_hangup = Arc::clone(keys);
    let record_hangup = record.clone();
    tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            record_hangup(on_hangup.reload("SIGHUP"));
        }
    });
    if poll > 0 {
        tokio::spawn(keys::watch_file(
            Arc::clone(keys),
            Duration::from_secs(poll),
            record,
        ));
    }
    Ok(())
}
