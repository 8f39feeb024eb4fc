//! The live comments' load client for `bench/live.sh`: opens N event streams on one post (split
//! over one or more servers), then posts comments to the first and times, for each, its 201 to
//! its event on every stream. Reports, as one JSON line, the servers' resident memory before and
//! with the streams open (`/proc`, the process and its children), the latencies (p50, p99, max),
//! events missing or repeated, and, idle, the servers' CPU time and thread wake-ups (context
//! switches) per minute. Raw TCP and HTTP/1.1 by hand: a client library's buffers and tasks would
//! weigh more than what is measured. Works against any server answering the route's shape (the
//! Next.js anchor's too).
//!
//! ```sh
//! cargo build --release --example bench_live --features ssr
//! target/release/examples/bench_live --server 127.0.0.1:3300=PID --post 1 --streams 1000
//! ```

use std::{
    collections::HashMap,
    env,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

struct Options {
    /// Where streams go (round robin) and whose memory and CPU are read; comments go to the first.
    servers: Vec<(SocketAddr, u32)>,
    post: u64,
    streams: usize,
    comments: usize,
    interval: Duration,
    idle: Duration,
}

fn options() -> Options {
    let mut options = Options {
        servers: Vec::new(),
        post: 1,
        streams: 1000,
        comments: 20,
        interval: Duration::from_millis(250),
        idle: Duration::ZERO,
    };
    let mut args = env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().expect("a value after each flag");
        match flag.as_str() {
            "--server" => {
                let (addr, pid) = value.split_once('=').expect("--server ADDR=PID");
                options.servers.push((
                    addr.parse().expect("an address"),
                    pid.parse().expect("a pid"),
                ));
            }
            "--post" => options.post = value.parse().expect("a post id"),
            "--streams" => options.streams = value.parse().expect("a count"),
            "--comments" => options.comments = value.parse().expect("a count"),
            "--interval-ms" => options.interval = Duration::from_millis(value.parse().expect("ms")),
            "--idle-secs" => options.idle = Duration::from_secs(value.parse().expect("seconds")),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        !options.servers.is_empty(),
        "--server ADDR=PID, once or more"
    );
    options
}

/// Resident memory of `pid` and its children, KiB: `VmRSS` (all of it) and `RssAnon` (the heap and
/// stacks, without the program's code and files paged in).
fn rss_kib(pid: u32) -> (u64, u64) {
    let one = |pid: &str| -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("RssAnon:"))
    };
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    std::iter::once(pid.to_string())
        .chain(children.split_whitespace().map(str::to_owned))
        .map(|pid| one(&pid))
        .fold((0, 0), |(rss, anon), (r, a)| (rss + r, anon + a))
}

/// CPU ticks (utime + stime) and context switches of every thread of `pid`.
fn cpu_and_switches(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = fields
        .get(11)
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(0);
    let mut switches = 0;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
            for line in status.lines() {
                if let Some(count) = line
                    .strip_prefix("voluntary_ctxt_switches:")
                    .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
                {
                    switches += count.trim().parse::<u64>().unwrap_or(0);
                }
            }
        }
    }
    (ticks, switches)
}

type Arrivals = Arc<Mutex<HashMap<u64, Vec<Instant>>>>;

/// One stream: the request, then every `id:` line's arrival time.
async fn stream(addr: SocketAddr, post: u64, connected: Arc<AtomicUsize>, arrivals: Arrivals) {
    let mut socket = match TcpStream::connect(addr).await {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("connect: {error}");
            return;
        }
    };
    let request = format!(
        "GET /api/comments/{post}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    );
    if socket.write_all(request.as_bytes()).await.is_err() {
        return;
    }
    let mut buffer = vec![0u8; 4096];
    let mut pending = Vec::new();
    let mut said_connected = false;
    loop {
        let read = match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        let now = Instant::now();
        pending.extend_from_slice(&buffer[..read]);
        if !said_connected && pending.windows(4).any(|w| w == b"\r\n\r\n") {
            said_connected = true;
            connected.fetch_add(1, Ordering::Relaxed);
        }
        // Whole lines only; the rest waits for the next read.
        let Some(end) = pending.iter().rposition(|&byte| byte == b'\n') else {
            continue;
        };
        let lines: Vec<u8> = pending.drain(..=end).collect();
        let mut ids = Vec::new();
        for line in lines.split(|&byte| byte == b'\n') {
            if let Some(id) = line.strip_prefix(b"id: ")
                && let Ok(id) = std::str::from_utf8(id).unwrap_or("").trim().parse::<u64>()
            {
                ids.push(id);
            }
        }
        if !ids.is_empty() {
            let mut arrivals = arrivals.lock().unwrap();
            for id in ids {
                arrivals.entry(id).or_default().push(now);
            }
        }
    }
}

/// Opens one stream and closes it once its head is read: the server's code for a stream is paged in
/// (and its one-time allocations made) before the idle measurement, so that the memory per stream is
/// the streams', not the first stream's code.
async fn warm_up(addr: SocketAddr, post: u64) {
    let Ok(mut socket) = TcpStream::connect(addr).await else {
        return;
    };
    let request = format!(
        "GET /api/comments/{post}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    );
    if socket.write_all(request.as_bytes()).await.is_err() {
        return;
    }
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
}

/// POSTs one comment; returns its id and when its 201 was read.
async fn post_comment(addr: SocketAddr, post: u64, n: usize) -> (u64, Instant) {
    let body = format!("{{\"comment\":\"Bench comment {n}\"}}");
    let request = format!(
        "POST /api/comments/{post} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut socket = TcpStream::connect(addr).await.expect("the server accepts");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    // The whole answer: the id is in the body, the 201 in the head.
    loop {
        let read = socket.read(&mut buffer).await.unwrap();
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n")
            && body.contains('}')
        {
            let at = Instant::now();
            assert!(head.starts_with("HTTP/1.1 201"), "{head}");
            let id = body
                .split("\"id\":")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|id| id.parse().ok())
                .expect("an id in the body");
            return (id, at);
        }
    }
    panic!("no answer: {}", String::from_utf8_lossy(&answer));
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let options = options();
    let rss = |options: &Options| {
        options
            .servers
            .iter()
            .map(|(_, pid)| rss_kib(*pid))
            .fold((0, 0), |(rss, anon), (r, a)| (rss + r, anon + a))
    };
    for (addr, _) in &options.servers {
        warm_up(*addr, options.post).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (before, anon_before) = rss(&options);
    let connected = Arc::new(AtomicUsize::new(0));
    let arrivals: Arrivals = Arc::default();
    for n in 0..options.streams {
        let (addr, _) = options.servers[n % options.servers.len()];
        tokio::spawn(stream(
            addr,
            options.post,
            Arc::clone(&connected),
            Arc::clone(&arrivals),
        ));
        if n % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while connected.load(Ordering::Relaxed) < options.streams && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let open = connected.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (with_streams, anon_streams) = rss(&options);

    let (mut idle_cpu_ms_per_min, mut idle_switches_per_min) = (f64::NAN, f64::NAN);
    if !options.idle.is_zero() {
        let tick_ms = 10.0; // CLK_TCK is 100 on Linux
        let start: Vec<_> = options
            .servers
            .iter()
            .map(|(_, pid)| cpu_and_switches(*pid))
            .collect();
        tokio::time::sleep(options.idle).await;
        let end: Vec<_> = options
            .servers
            .iter()
            .map(|(_, pid)| cpu_and_switches(*pid))
            .collect();
        let minutes = options.idle.as_secs_f64() / 60.0;
        let ticks: u64 = start.iter().zip(&end).map(|(s, e)| e.0 - s.0).sum();
        let switches: u64 = start.iter().zip(&end).map(|(s, e)| e.1 - s.1).sum();
        idle_cpu_ms_per_min = ticks as f64 * tick_ms / minutes;
        idle_switches_per_min = switches as f64 / minutes;
    }

    let mut latencies = Vec::new();
    let mut missing = 0usize;
    let mut repeated = 0usize;
    let mut posted = Vec::new();
    for n in 0..options.comments {
        posted.push(post_comment(options.servers[0].0, options.post, n).await);
        tokio::time::sleep(options.interval).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    {
        let arrivals = arrivals.lock().unwrap();
        for (id, created) in &posted {
            let times = arrivals.get(id).map_or(&[][..], Vec::as_slice);
            missing += open.saturating_sub(times.len());
            repeated += times.len().saturating_sub(open);
            for time in times {
                // An event read before its 201 counts as 0 ms.
                latencies.push(time.saturating_duration_since(*created).as_secs_f64() * 1000.0);
            }
        }
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{{\"streams\":{},\"open\":{open},\"rss_before_kib\":{before},\"rss_streams_kib\":{with_streams},\"bytes_per_stream\":{:.0},\"anon_before_kib\":{anon_before},\"anon_streams_kib\":{anon_streams},\"anon_bytes_per_stream\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"max_ms\":{:.2},\"events\":{},\"missing\":{missing},\"repeated\":{repeated},\"idle_cpu_ms_per_min\":{idle_cpu_ms_per_min:.1},\"idle_switches_per_min\":{idle_switches_per_min:.0}}}",
        options.streams,
        (with_streams.saturating_sub(before) as f64 * 1024.0) / open.max(1) as f64,
        (anon_streams.saturating_sub(anon_before) as f64 * 1024.0) / open.max(1) as f64,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN),
        latencies.len(),
    );
    std::process::exit(0);
}
