//! The ceiling `bench/run.sh` measures the app against: a bare axum 0.8 server answering `GET /` with
//! `Hello, World!`, on the same multi-threaded tokio runtime as the app, with nothing else (no nested
//! routers, middleware, tracing, Leptos or database). The app's routes are reported as a fraction
//! of its requests per second.
//!
//! ```sh
//! cargo build --release --example bench_baseline --features ssr
//! target/release/examples/bench_baseline 127.0.0.1:3301   # or BENCH_BASELINE_ADDR=127.0.0.1:3301
//! ```
//!
//! It is an example rather than a second `[[bin]]` so that cargo-leptos keeps seeing one server.

use std::{env, net::SocketAddr};

use axum::{Router, routing::get};
use tokio::net::TcpListener;

const DEFAULT_ADDR: &str = "127.0.0.1:3301";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = env::args()
        .nth(1)
        .or_else(|| env::var("BENCH_BASELINE_ADDR").ok())
        .unwrap_or_else(|| DEFAULT_ADDR.to_owned())
        .parse()?;
    let app = Router::new().route("/", get(|| async { "Hello, World!" }));
    let listener = TcpListener::bind(addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
