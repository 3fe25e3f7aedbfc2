//! Usage: servebench-tokenizer-reference <tokenizer.json> <fixtures.json>
//! Re-encodes every fixture case with the Rust `tokenizers` crate and reports mismatches.
use std::process::ExitCode;
use tokenizers::Tokenizer;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: {} <tokenizer.json> <fixtures.json>", args[0]);
        return ExitCode::from(2);
    }
    let tok = Tokenizer::from_file(&args[1]).expect("load tokenizer.json");
    let text = std::fs::read_to_string(&args[2]).expect("read fixtures");
    let fx: serde_json::Value = serde_json::from_str(&text).expect("parse fixtures");
    let cases = fx["cases"].as_array().expect("cases array");
    let mut bad = 0usize;
    for c in cases {
        let name = c["name"].as_str().unwrap_or("?");
        let input = c["text"].as_str().expect("text");
        let want: Vec<u32> = c["input_ids"]
            .as_array()
            .expect("input_ids")
            .iter()
            .map(|v| v.as_u64().expect("id") as u32)
            .collect();
        let enc = tok.encode(input, true).expect("encode");
        if enc.get_ids() != want.as_slice() {
            bad += 1;
            println!("MISMATCH {name}\n  rust:    {:?}\n  fixture: {:?}", enc.get_ids(), want);
        }
    }
    println!("{} cases, {} mismatches (tokenizers crate 0.13.3)", cases.len(), bad);
    if bad == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
