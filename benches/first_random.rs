//! How long the first random bytes take in a fresh process, with AWS-LC as the Lambdas link it
//! (through rustls, for every HTTPS call to AWS). AWS-LC seeds its generator from CPU jitter
//! entropy by default, which costs time once per process; building with
//! `AWS_LC_SYS_NO_JITTER_ENTROPY=1` seeds from the OS (getrandom) and the CPU (RDRAND/RNDR)
//! instead. Run it from builds with and without that variable (benches/jitter.sh) to compare.
//!
//! Usage: first-random [--runs 20]   (each run is a fresh process: this binary re-executes itself)

use std::process::Command;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("--child") => {
            let started = Instant::now();
            let mut bytes = [0u8; 32];
            aws_lc_rs::rand::fill(&mut bytes).expect("AWS-LC random");
            let first = started.elapsed();
            let started = Instant::now();
            aws_lc_rs::rand::fill(&mut bytes).expect("AWS-LC random");
            let second = started.elapsed();
            println!("{} {}", first.as_micros(), second.as_micros());
        }
        _ => {
            let runs: usize = match args.next() {
                Some(n) => n.parse().expect("--runs N"),
                None => 20,
            };
            let exe = std::env::current_exe().unwrap();
            let mut first = Vec::new();
            let mut second = Vec::new();
            for _ in 0..runs {
                let out = Command::new(&exe).arg("--child").output().unwrap();
                let text = String::from_utf8(out.stdout).unwrap();
                let mut fields = text.split_whitespace().map(|v| v.parse::<f64>().unwrap());
                first.push(fields.next().unwrap() / 1000.0);
                second.push(fields.next().unwrap() / 1000.0);
            }
            first.sort_by(f64::total_cmp);
            second.sort_by(f64::total_cmp);
            println!(
                "first 32 random bytes in a new process: median {:.2} ms [{:.2}–{:.2}]; the next 32: median {:.3} ms ({runs} processes)",
                first[runs / 2],
                first[0],
                first[runs - 1],
                second[runs / 2]
            );
        }
    }
}
