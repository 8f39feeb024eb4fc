//! The server binary as an AWS Lambda function, without AWS: started the way Lambda starts a
//! `provided.al2023` function's `bootstrap` (its environment, `AWS_LAMBDA_RUNTIME_API` naming the
//! Runtime API), against the stand-in of `runtime_api.rs`, which hands it events in the documented
//! formats (`tests/support/lambda_events.rs`) and reads the JSON it answers, as API Gateway or a Function
//! URL would get it. On PostgreSQL, in a cluster of the test's own.
//!
//! The debug binary answers a page, an API GET and a POST, and refuses to start on SQLite; the
//! one-file release (`#[ignore]`d here, run by `scripts/test.sh` with `RELEASE_BINARY`) serves its
//! wasm base64-encoded and whole, and its cold starts are measured: printed, never asserted.

use std::{
    io::Read,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use base64::Engine;
use serde_json::{Value, json};

use crate::{
    runtime_api::{Call, RuntimeApi},
    support::{
        DEBUG_BINARY, OtlpCollector, PgCluster, Process, finished,
        lambda_events::{Event, FrontDoor},
        release_binary, span_names,
    },
};

const PREVIEW_SECRET: &str = "preview-secret-for-the-function";

/// `binary` started as Lambda starts a function, in `folder` (Lambda's `/var/task`), with the
/// environment Lambda sets and `settings` (the function's own configuration).
fn function_command(
    binary: &Path,
    folder: &Path,
    runtime: &RuntimeApi,
    settings: &[(&str, &str)],
) -> Command {
    let mut command = Command::new(binary);
    command
        .current_dir(folder)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "leptos-api-routes")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/leptos-api-routes")
        .env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/11/21/[$LATEST]0123456789abcdef",
        )
        .env("AWS_REGION", "us-east-2")
        .env("LAMBDA_TASK_ROOT", folder)
        .env("_HANDLER", "bootstrap")
        .env("TZ", ":UTC")
        .env("RUST_LOG", "info")
        .envs(settings.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A running function; killed when dropped (Lambda freezes or ends it: it never exits by itself).
struct Function {
    process: Process,
    started: Instant,
}

impl Function {
    fn start(command: Command) -> Self {
        let started = Instant::now();
        let process = Process::start(command);
        Self { process, started }
    }

    fn log(&self) -> String {
        self.process.log()
    }
}

/// The answer to the invocation `id`, the next one the function sent.
async fn answer_to(runtime: &mut RuntimeApi, id: &str, function: &Function) -> (Value, Instant) {
    match runtime.next_outcome().await {
        Call::Response {
            id: answered,
            payload,
            at,
        } => {
            assert_eq!(answered, id, "answers come in the order of the invocations");
            (payload, at)
        }
        other => panic!(
            "an answer to {id}, not {other:?}; the function's log:\n{}",
            function.log()
        ),
    }
}

/// The body of an answer: its text, or its bytes decoded from base64 when it says it is encoded.
fn body_bytes(answer: &Value) -> Vec<u8> {
    let body = answer["body"].as_str().unwrap_or_default();
    if answer["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("valid base64")
    } else {
        body.as_bytes().to_vec()
    }
}

fn body_json(answer: &Value) -> Value {
    serde_json::from_slice(&body_bytes(answer)).expect("a JSON body")
}

#[tokio::test]
async fn the_function_answers_a_page_an_api_get_and_a_post_on_postgresql() {
    let cluster = PgCluster::start(&[]);
    let database_url = cluster.url("postgres", "");
    let folder = tempfile::tempdir().unwrap();
    let mut runtime = RuntimeApi::start().await;
    let page = runtime.invoke(
        Event::get(FrontDoor::HttpApi, "/")
            .header("accept", "text/html")
            .to_json(),
    );
    let hello = runtime.invoke(Event::get(FrontDoor::RestApi, "/api/hello").to_json());
    let post = json!({ "title": "Through the Runtime API", "post": "Saved in PostgreSQL" });
    let created =
        runtime.invoke(Event::post_json(FrontDoor::FunctionUrl, "/api/post", &post).to_json());
    let listed = runtime.invoke(Event::get(FrontDoor::HttpApi, "/api/post").to_json());

    let function = Function::start(function_command(
        Path::new(DEBUG_BINARY),
        folder.path(),
        &runtime,
        &[
            ("DATABASE_URL", &database_url),
            ("PREVIEW_SECRET", PREVIEW_SECRET),
        ],
    ));
    let (page, answered) = answer_to(&mut runtime, &page, &function).await;
    eprintln!(
        "cold start, debug binary: {} ms from the process's start to its first answered invocation",
        (answered - function.started).as_millis()
    );
    let (hello, _) = answer_to(&mut runtime, &hello, &function).await;
    let (created, _) = answer_to(&mut runtime, &created, &function).await;
    let (listed, _) = answer_to(&mut runtime, &listed, &function).await;

    // An HTTP API (payload 2.0) answer: single-value headers, the page as text.
    assert_eq!(page["statusCode"], 200, "{page}");
    assert_eq!(page["isBase64Encoded"], false);
    assert!(
        page["headers"]["content-type"]
            .as_str()
            .unwrap_or_default()
            .starts_with("text/html")
    );
    assert!(
        String::from_utf8(body_bytes(&page))
            .unwrap()
            .contains("<h1>Leptos API Routes")
    );
    // A REST API (payload 1.0) answer: every header in multiValueHeaders.
    assert_eq!(hello["statusCode"], 200, "{hello}");
    assert_eq!(
        hello["multiValueHeaders"]["content-type"],
        json!(["application/json"])
    );
    assert_eq!(body_json(&hello), json!({ "name": "John Doe" }));
    // A Function URL answer (payload 2.0): the post, and then the list that holds it.
    assert_eq!(created["statusCode"], 201, "{created}");
    let id = body_json(&created)["id"].as_i64().expect("an id");
    assert_eq!(created["headers"]["location"], format!("/posts/{id}"));
    assert_eq!(
        body_json(&listed)["posts"][0]["title"],
        "Through the Runtime API"
    );
    let health = runtime.invoke(Event::get(FrontDoor::FunctionUrl, "/api/health").to_json());
    let (health, _) = answer_to(&mut runtime, &health, &function).await;
    assert_eq!(body_json(&health)["database"], "postgres");
}

#[tokio::test]
async fn the_preview_cookie_leaves_in_the_cookies_of_a_2_0_answer_and_the_set_cookie_of_a_1_0_one()
{
    let cluster = PgCluster::start(&[]);
    let database_url = cluster.url("postgres", "");
    let folder = tempfile::tempdir().unwrap();
    let mut runtime = RuntimeApi::start().await;
    let draft = json!({ "title": "Draft", "post": "Not yet", "draft": true });
    let created =
        runtime.invoke(Event::post_json(FrontDoor::HttpApi, "/api/post", &draft).to_json());
    let function = Function::start(function_command(
        Path::new(DEBUG_BINARY),
        folder.path(),
        &runtime,
        &[
            ("DATABASE_URL", &database_url),
            ("PREVIEW_SECRET", PREVIEW_SECRET),
        ],
    ));
    let (created, _) = answer_to(&mut runtime, &created, &function).await;
    let id = body_json(&created)["id"].as_i64().expect("an id");
    let preview = format!("/api/preview?secret={PREVIEW_SECRET}&slug=/posts/{id}");

    let v2 = runtime.invoke(Event::get(FrontDoor::FunctionUrl, &preview).to_json());
    let (v2, _) = answer_to(&mut runtime, &v2, &function).await;
    let v1 = runtime.invoke(Event::get(FrontDoor::RestApi, &preview).to_json());
    let (v1, _) = answer_to(&mut runtime, &v1, &function).await;

    assert_eq!(v2["statusCode"], 307, "{v2}");
    let cookie = v2["cookies"][0].as_str().unwrap_or_default();
    assert!(
        cookie.starts_with("preview=") && cookie.contains("; Secure"),
        "{v2}"
    );
    assert!(v2["headers"].get("set-cookie").is_none(), "{v2}");
    assert_eq!(v1["statusCode"], 307, "{v1}");
    let cookie = v1["multiValueHeaders"]["set-cookie"][0]
        .as_str()
        .unwrap_or_default();
    assert!(cookie.starts_with("preview="), "{v1}");
}

/// Issue 24 under Lambda: an instance may be frozen once it has answered, so an invocation's spans
/// reach the collector before its answer reaches the Runtime API; the log is JSON lines.
#[tokio::test]
async fn the_function_exports_an_invocations_spans_before_answering_and_logs_json_lines() {
    let cluster = PgCluster::start(&[]);
    let database_url = cluster.url("postgres", "");
    let folder = tempfile::tempdir().unwrap();
    let collector = OtlpCollector::start().await;
    let mut runtime = RuntimeApi::start().await;
    let trace_id = "5bf92f3577b34da6a3ce929d0e0e4736";
    let hello = runtime.invoke(
        Event::get(FrontDoor::HttpApi, "/api/hello")
            .header("traceparent", &format!("00-{trace_id}-00f067aa0ba902b7-01"))
            .header("x-request-id", "lambda-json-line")
            .to_json(),
    );
    let function = Function::start(function_command(
        Path::new(DEBUG_BINARY),
        folder.path(),
        &runtime,
        &[
            ("DATABASE_URL", &database_url),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint),
            ("LOG_FORMAT", "json"),
            ("LEPTOS_OUTPUT_NAME", "leptos-api-routes"),
        ],
    ));
    let (hello, _) = answer_to(&mut runtime, &hello, &function).await;
    assert_eq!(hello["statusCode"], 200, "{hello}");

    // No waiting: the batch exporter's own schedule is 5 s, the flush is what sent them.
    let spans = collector.spans();
    let request = spans
        .iter()
        .find(|span| span.name == "GET /api/hello")
        .unwrap_or_else(|| panic!("the request's span in {:?}", span_names(&spans)));
    assert_eq!(hex::encode(&request.trace_id), trace_id);
    let log = function.log();
    for line in log.lines() {
        let line: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("{error}: a line that is not JSON: {line:?}"));
        assert!(
            line["timestamp"].is_string() && line["message"].is_string(),
            "{line}"
        );
    }
    assert!(log.contains(r#""request_id":"lambda-json-line""#), "{log}");
    assert!(
        !log.contains(&database_url),
        "the database URL in the log: {log}"
    );
}

#[tokio::test]
async fn an_event_no_front_door_sends_fails_that_invocation_alone_and_the_next_is_answered() {
    let cluster = PgCluster::start(&[]);
    let database_url = cluster.url("postgres", "");
    let folder = tempfile::tempdir().unwrap();
    let mut runtime = RuntimeApi::start().await;
    // A test event of the Lambda console's "hello world" template: no HTTP request in it.
    let unreadable = runtime.invoke(json!({ "key1": "value1", "key2": "value2" }).to_string());
    let hello = runtime.invoke(Event::get(FrontDoor::FunctionUrl, "/api/hello").to_json());
    let function = Function::start(function_command(
        Path::new(DEBUG_BINARY),
        folder.path(),
        &runtime,
        &[("DATABASE_URL", &database_url)],
    ));

    let failed = runtime.next_outcome().await;
    let (hello, _) = answer_to(&mut runtime, &hello, &function).await;

    let Call::InvocationError { id, payload } = failed else {
        panic!(
            "an error report for the unreadable event, not {failed:?}; the log:\n{}",
            function.log()
        );
    };
    assert_eq!(id, unreadable);
    assert!(
        payload["errorMessage"]
            .as_str()
            .is_some_and(|message| !message.is_empty()),
        "{payload}"
    );
    assert_eq!(body_json(&hello), json!({ "name": "John Doe" }));
}

#[tokio::test]
async fn without_a_postgresql_database_url_the_function_stops_with_one_line_reported_to_init_error()
{
    let folder = tempfile::tempdir().unwrap();
    let mut runtime = RuntimeApi::start().await;
    let mut command = function_command(Path::new(DEBUG_BINARY), folder.path(), &runtime, &[]);

    let child = command.spawn().expect("the function binary starts");
    let reported = runtime.next_call().await;
    let output = finished(child);

    assert!(!output.status.success());
    let Call::InitError {
        error_type,
        payload,
    } = reported
    else {
        panic!("a report to /init/error, not {reported:?}");
    };
    assert_eq!(error_type, "Runtime.InitError");
    let message = payload["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("no lasting disk") && message.contains("postgres://"),
        "{payload}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(errors, [format!("error: {message}")], "{stderr}");
    assert!(
        std::fs::read_dir(folder.path()).unwrap().next().is_none(),
        "nothing is written"
    );
}

#[tokio::test]
async fn a_runtime_api_without_the_rest_of_lambdas_environment_stops_the_start_with_one_line() {
    let folder = tempfile::tempdir().unwrap();
    let mut runtime = RuntimeApi::start().await;
    let mut command = function_command(Path::new(DEBUG_BINARY), folder.path(), &runtime, &[]);
    command.env_remove("AWS_LAMBDA_FUNCTION_NAME");

    let child = command.spawn().expect("the function binary starts");
    let reported = runtime.next_call().await;
    let output = finished(child);

    assert!(!output.status.success());
    assert!(matches!(reported, Call::InitError { .. }), "{reported:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: AWS_LAMBDA_RUNTIME_API is set, so this runs as a Lambda function, but AWS_LAMBDA_FUNCTION_NAME is not"),
        "{stderr}"
    );
}

// ---- the one-file release as a function ----

/// The one-file release as `deploy/lambda/package.sh` packs it for Lambda, unpacked as Lambda
/// unpacks it: `bootstrap`, alone in an empty folder, with the mode the zip gives it.
fn release_bootstrap() -> (tempfile::TempDir, std::path::PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let zip_folder = tempfile::tempdir().unwrap();
    let zip = zip_folder.path().join("function.zip");
    let packed = Command::new(root.join("deploy/lambda/package.sh"))
        .arg(release_binary())
        .arg(&zip)
        .output()
        .expect("package.sh runs");
    assert!(
        packed.status.success(),
        "{}",
        String::from_utf8_lossy(&packed.stderr)
    );
    let folder = tempfile::tempdir().unwrap();
    let unpacked = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\n\
             archive = zipfile.ZipFile(sys.argv[1])\n\
             print(' '.join(archive.namelist()), oct(archive.getinfo('bootstrap').external_attr >> 16))\n\
             archive.extractall(sys.argv[2])",
        ])
        .arg(&zip)
        .arg(folder.path())
        .output()
        .expect("python3 runs");
    assert!(
        unpacked.status.success(),
        "{}",
        String::from_utf8_lossy(&unpacked.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&unpacked.stdout).trim(),
        "bootstrap 0o100755",
        "the zip holds bootstrap alone, executable"
    );
    let bootstrap = folder.path().join("bootstrap");
    // Python does not restore the mode a zip stores; Lambda does.
    std::fs::set_permissions(
        &bootstrap,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    (folder, bootstrap)
}

fn unbrotli(compressed: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    brotli::Decompressor::new(compressed, 4096)
        .read_to_end(&mut plain)
        .expect("brotli");
    plain
}

#[tokio::test]
#[ignore = "needs the one-file release: scripts/test.sh runs it with RELEASE_BINARY"]
async fn the_release_as_a_function_sends_its_wasm_base64_encoded_and_whole() {
    let built = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/site/pkg/leptos-api-routes.wasm"),
    )
    .expect("the wasm cargo-leptos built");
    let cluster = PgCluster::start(&[]);
    let database_url = cluster.url("postgres", "");
    let (folder, bootstrap) = release_bootstrap();
    let mut runtime = RuntimeApi::start().await;
    let page = runtime.invoke(Event::get(FrontDoor::FunctionUrl, "/").to_json());
    let function = Function::start(function_command(
        &bootstrap,
        folder.path(),
        &runtime,
        &[("DATABASE_URL", &database_url)],
    ));
    let (page, _) = answer_to(&mut runtime, &page, &function).await;
    let html = String::from_utf8(body_bytes(&page)).expect("an HTML page");
    let wasm = html
        .split("\"/pkg/")
        .skip(1)
        .map(|rest| format!("/pkg/{}", rest.split('"').next().unwrap_or_default()))
        .find(|url| url.ends_with(".wasm"))
        .expect("the page links the wasm");

    let brotli = runtime.invoke(
        Event::get(FrontDoor::HttpApi, &wasm)
            .header("accept-encoding", "gzip, deflate, br")
            .to_json(),
    );
    let (brotli, _) = answer_to(&mut runtime, &brotli, &function).await;
    let identity = runtime.invoke(Event::get(FrontDoor::RestApi, &wasm).to_json());
    let (identity, _) = answer_to(&mut runtime, &identity, &function).await;

    assert_eq!(brotli["statusCode"], 200);
    assert_eq!(brotli["isBase64Encoded"], true);
    assert_eq!(brotli["headers"]["content-encoding"], "br");
    assert!(
        unbrotli(&body_bytes(&brotli)) == built,
        "the brotli wasm decompresses to the file as built"
    );
    assert_eq!(identity["isBase64Encoded"], true);
    assert_eq!(
        identity["multiValueHeaders"]["content-type"],
        json!(["application/wasm"])
    );
    assert!(
        body_bytes(&identity) == built,
        "the wasm is the file as built, {} bytes",
        built.len()
    );
}

#[tokio::test]
#[ignore = "needs the one-file release: scripts/test.sh runs it with RELEASE_BINARY"]
async fn the_release_as_a_function_answers_its_first_invocation_after_a_cold_start() {
    const STARTS: usize = 7;
    let cluster = PgCluster::start(&[]);
    let database_url = cluster.url("postgres", "");
    let (folder, bootstrap) = release_bootstrap();
    let mut timings = Vec::new();
    for _ in 0..STARTS {
        let mut runtime = RuntimeApi::start().await;
        let hello = runtime.invoke(Event::get(FrontDoor::FunctionUrl, "/api/hello").to_json());
        let function = Function::start(function_command(
            &bootstrap,
            folder.path(),
            &runtime,
            &[("DATABASE_URL", &database_url)],
        ));
        let ready = match runtime.next_call().await {
            Call::Next { at } => at,
            other => panic!(
                "a request for work, not {other:?}; the log:\n{}",
                function.log()
            ),
        };
        let (hello, answered) = answer_to(&mut runtime, &hello, &function).await;
        assert_eq!(hello["statusCode"], 200, "{hello}");
        timings.push((ready - function.started, answered - function.started));
    }

    let milliseconds = |duration: Duration| duration.as_secs_f64() * 1000.0;
    eprintln!(
        "cold starts of the one-file release as a function, on PostgreSQL on 127.0.0.1 (first: the migrations applied to an empty database):"
    );
    for (number, (ready, answered)) in timings.iter().enumerate() {
        eprintln!(
            "  start {}: asked for work after {:.1} ms, answered GET /api/hello after {:.1} ms",
            number + 1,
            milliseconds(*ready),
            milliseconds(*answered)
        );
    }
    let mut later: Vec<Duration> = timings[1..].iter().map(|(_, answered)| *answered).collect();
    later.sort();
    eprintln!(
        "  median of starts 2–{STARTS} (schema up to date): {:.1} ms to the first answer",
        milliseconds(later[later.len() / 2])
    );
}

/// The glibc of Lambda's `provided.al2023` runtime (Amazon Linux 2023). A binary built on a newer
/// system (Debian 12 has 2.36) runs there only if it asks for no newer symbol versions.
const LAMBDA_GLIBC: (u32, u32) = (2, 34);

#[test]
#[ignore = "needs the one-file release: scripts/test.sh runs it with RELEASE_BINARY"]
fn the_release_needs_no_glibc_newer_than_lambdas_provided_al2023_runtime() {
    let symbols = Command::new("objdump")
        .arg("-T")
        .arg(release_binary())
        .output()
        .expect("objdump (binutils, which the Rust toolchain's linker comes with) runs");
    assert!(symbols.status.success());

    let text = String::from_utf8_lossy(&symbols.stdout);
    let newest = text
        .split(|character: char| character.is_whitespace() || character == '(' || character == ')')
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|version| {
            let (major, minor) = version.split_once('.')?;
            Some((
                major.parse::<u32>().ok()?,
                minor.split('.').next()?.parse::<u32>().ok()?,
            ))
        })
        .max()
        .expect("the release links glibc");

    eprintln!("the release needs glibc {}.{} at most", newest.0, newest.1);
    assert!(
        newest <= LAMBDA_GLIBC,
        "the release needs glibc {newest:?}, newer than provided.al2023's {LAMBDA_GLIBC:?}: build it on an older system, or for x86_64-unknown-linux-musl"
    );
}
