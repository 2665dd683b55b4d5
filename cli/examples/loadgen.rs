//! A keep-alive HTTP/1.1 load generator for `layer-identity serve` (scripts/bench-serve.sh):
//! CONNECTIONS threads, each with one kept-alive connection, POST /identity-token as fast as
//! the answers come for SECONDS after a short warm-up; prints throughput and latency
//! percentiles as `key=value` words on one line.
//!
//!   cargo run --release -p layer-identity-cli --example loadgen -- HOST:PORT CONNECTIONS SECONDS [BEARER]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: loadgen HOST:PORT CONNECTIONS SECONDS [BEARER]");
        std::process::exit(2);
    }
    let addr = args[0].clone();
    let connections: usize = args[1].parse().expect("CONNECTIONS is a number");
    let seconds: f64 = args[2].parse().expect("SECONDS is a number");
    let bearer = args.get(3).cloned();
    let warmup = Duration::from_millis(500);
    let measure = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let addr = addr.clone();
            let bearer = bearer.clone();
            std::thread::spawn(move || run(&addr, worker, bearer, start + warmup, measure))
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut errors = 0u64;
    for worker in workers {
        let (mut samples, failed) = worker.join().expect("a worker panicked");
        latencies.append(&mut samples);
        errors += failed;
    }
    latencies.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies
            .get(index)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "requests={} rps={:.1} p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} errors={errors}",
        latencies.len(),
        latencies.len() as f64 / seconds,
        percentile(0.5),
        percentile(0.9),
        percentile(0.99),
    );
}

/// One connection's loop: the latencies of the answers that arrived within the measured
/// window, and how many requests failed.
fn run(
    addr: &str,
    worker: usize,
    bearer: Option<String>,
    begin: Instant,
    measure: Duration,
) -> (Vec<Duration>, u64) {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    let end = begin + measure;
    let mut latencies = Vec::with_capacity(100_000);
    let mut errors = 0;
    let mut line = String::new();
    let mut body = Vec::new();
    for i in 0u64.. {
        let json = format!(r#"{{"user_id":"user-{worker}","nonce":"nonce-{worker}-{i}"}}"#);
        let authorization = bearer
            .as_deref()
            .map(|token| format!("Authorization: Bearer {token}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "POST /identity-token HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n\
             {authorization}Content-Length: {}\r\n\r\n{json}",
            json.len()
        );
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        writer.write_all(request.as_bytes()).expect("write");
        line.clear();
        reader.read_line(&mut line).expect("status line");
        let ok = line.starts_with("HTTP/1.1 200");
        let mut length = 0usize;
        loop {
            line.clear();
            reader.read_line(&mut line).expect("header");
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().expect("Content-Length");
                }
            }
        }
        body.resize(length, 0);
        reader.read_exact(&mut body).expect("body");
        let took = sent.elapsed();
        if !ok {
            errors += 1;
        } else if sent >= begin {
            latencies.push(took);
        }
    }
    (latencies, errors)
}
