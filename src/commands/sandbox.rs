//! `sms-invite sandbox`: the simulator as a long-running process for manual use and the SDK
//! fidelity check.

use std::io::Write;
use std::time::Duration;

use super::{EXIT_FAILED, EXIT_OK, Failure, usage};
use crate::cli::SandboxArgs;
use crate::err;
use crate::sandbox::{Behaviour, FaultRule, Sandbox, SandboxConfig};

pub async fn run(args: SandboxArgs) -> Result<u8, Failure> {
    let mut config = SandboxConfig {
        port: args.port,
        ..SandboxConfig::default()
    };
    let faults = args
        .faults
        .iter()
        .map(|f| FaultRule::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(e, "see `sms-invite sandbox --help` for the fault syntax"))?;
    if !(args.delay_scale.is_finite() && args.delay_scale >= 0.0) {
        return Err(usage(
            "--delay-scale must be a number of 0 or more",
            "1 keeps real time",
        ));
    }
    if !(0.0..=1.0).contains(&args.sms_failure_rate) {
        return Err(usage(
            "--sms-failure-rate must be between 0 and 1",
            "0.1 rejects one SMS in ten",
        ));
    }
    config.knobs.latency = Duration::from_millis(args.latency_ms);
    config.knobs.rate_limit = args.rate_limit;
    config.knobs.token_ttl_secs = args.token_ttl;
    config.knobs.faults = faults;
    config.knobs.phone_in_lists = args.phone_in_lists;
    config.knobs.behaviour = Behaviour {
        legacy_create: args.legacy_create,
        inherit_services: !args.no_inherit_services,
        delay_scale: args.delay_scale,
        status_messages: !args.no_status_messages,
        sms_failure_rate: args.sms_failure_rate,
    };
    if let Some(path) = &args.seed {
        config.seed_json = Some(std::fs::read_to_string(path).map_err(|e| {
            usage(
                format!("cannot read the seed file {}: {e}", path.display()),
                "check the path",
            )
        })?);
    }
    let sandbox = Sandbox::start(config).await.map_err(|e| Failure {
        code: EXIT_FAILED,
        message: e.to_string(),
        hint: Some("pick another --port".into()),
    })?;
    {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(sandbox.env_lines().as_bytes());
        let _ = out.flush();
    }
    err!(
        "# sandbox serving the Web1on1 API simulator on {} (Ctrl-C to stop)",
        sandbox.base_url()
    );
    err!(
        "# to use them in a shell: sms-invite sandbox > sandbox.env &  then  set -a; . ./sandbox.env; set +a"
    );
    err!(
        "# the customer's phone: {}/__sandbox/phone  (landing page for links: {}/__sandbox/clp/NAME)",
        sandbox.base_url(),
        sandbox.base_url()
    );
    tracing::info!(url = sandbox.base_url(), "sandbox started");
    wait_for_stop().await;
    err!("# sandbox stopped");
    Ok(EXIT_OK)
}

pub async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
