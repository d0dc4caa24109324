//! Wiring only: the Lambda front door when `AWS_LAMBDA_RUNTIME_API` is set, else the CLI.

/// mimalloc instead of glibc's malloc: a request allocates and frees hundreds of small
/// values (the parsed page, headers, pseudonyms), and glibc's bin consolidation and
/// heap trimming were about a tenth of `serve`'s CPU time on a 2 KB page. The floor proxy
/// it is benchmarked against uses the same allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    if pseudoproxy::config::Env::from_process().is_lambda() {
        return lambda();
    }
    pseudoproxy::cli::run()
}

/// Serves function-URL requests until the runtime stops us.
fn lambda() -> std::process::ExitCode {
    use pseudoproxy::proxy;
    #[cfg(feature = "bench-hooks")]
    let started = std::time::Instant::now();
    proxy::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let live = proxy::startup::lambda_state().await?;
        #[cfg(feature = "bench-hooks")]
        if std::env::var_os("PSEUDOPROXY_EXIT_WHEN_READY").is_some() {
            // Startup measurement (scripts/bench-startup.sh): stop once ready.
            let ssm = pseudoproxy::secrets::round_trips();
            let (ready, ssm_time) = (started.elapsed().as_micros(), ssm.time.as_micros());
            eprintln!(
                "ready_us={ready} ssm_round_trips={} ssm_us={ssm_time}",
                ssm.count
            );
            return Ok(());
        }
        let env = pseudoproxy::config::Env::from_process();
        let problems = proxy::startup::lambda_runtime_env_problems(&env);
        if !problems.is_empty() {
            return Err(format!(
                "cannot start the Lambda runtime client: {}",
                problems.join("; ")
            ));
        }
        let app = proxy::live_app(live);
        lambda_http::run(app).await.map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "lambda runtime stopped");
            std::process::ExitCode::FAILURE
        }
    }
}
