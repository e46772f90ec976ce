//! `logcopilot parse`: a Loghub-style structured CSV (LineId, the header
//! fields, Content, EventId, EventTemplate), one row per input line in order,
//! so accuracy can be measured against ground truth.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use clap::Args;

use super::progress::Progress;
use super::{FormatArgs, GlobalArgs, index_options, load_dataset};
use crate::config::Config;
use crate::index::{self, IndexEvent};
use crate::logs::record::decode;
use crate::logs::{BlockReader, LineParser, Parsed};

#[derive(Debug, Clone, Args)]
pub struct ParseArgs {
    #[command(flatten)]
    pub format: FormatArgs,
    /// The log file (plain or gzip).
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// The CSV to write.
    #[arg(long, value_name = "FILE.csv")]
    pub out: PathBuf,
}

pub fn run(cfg: &Config, g: &GlobalArgs, a: ParseArgs) -> anyhow::Result<()> {
    let mut own = cfg.clone();
    let inputs = [a.input.clone()];
    let given = super::inputs::Given {
        inputs: &inputs,
        app: a.format.app.as_deref(),
        format: a.format.format.as_deref(),
        timestamp: a.format.timestamp.as_deref(),
        redetect: false,
    };
    let mut input = a.input.clone();
    let (ds, known) = match super::inputs::open(&mut own, &given, g.quiet)? {
        Some(o) => {
            let known = match (&o.dataset.templates_path, a.format.no_known_templates) {
                (Some(p), false) => crate::index::templates::load(p)?,
                _ => Vec::new(),
            };
            input = o.log;
            (o.dataset, known)
        }
        None => load_dataset(cfg, &a.format)?,
    };
    let mut opts = index_options(cfg, !a.format.no_known_templates);
    opts.keep_line_templates = true;
    let progress = Progress::new(g.quiet);
    let on_event = |e: IndexEvent| progress.handle(e);
    let cancel = AtomicBool::new(false);
    let out = index::run(&ds, &input, &known, &opts, &on_event, &cancel)
        .with_context(|| format!("parsing {}", input.display()))?;
    let line_tpl = out.line_templates.unwrap_or_default();
    let templates = &out.knowledge.templates;

    let dir = a.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(tmp.as_file()));
    let fields = ds.header.fields();
    let mut header: Vec<&str> = vec!["LineId"];
    header.extend(fields.iter().filter(|f| *f != "Content").map(String::as_str));
    header.extend(["Content", "EventId", "EventTemplate"]);
    w.write_record(&header)?;
    let mut reader = BlockReader::open(&input)?.max_line(opts.max_line_bytes);
    let mut parser = LineParser::new(&ds);
    let mut parsed = Parsed::default();
    let mut n = 0usize;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    while let Some(block) = reader.next_block()? {
        for line in block.lines() {
            let (text, _) = decode(line);
            parser.parse(&text, &mut parsed);
            row.clear();
            row.push((n + 1).to_string());
            for (i, f) in fields.iter().enumerate() {
                if f != "Content" {
                    row.push(parsed.field(&text, i).to_string());
                }
            }
            row.push(parsed.content(&text).to_string());
            let t = line_tpl.get(n).and_then(|&t| templates.get(t as usize));
            row.push(t.map_or_else(String::new, |t| t.id.clone()));
            row.push(t.map_or_else(String::new, |t| t.text.clone()));
            w.write_record(&row)?;
            n += 1;
        }
    }
    w.flush()?;
    drop(w);
    tmp.as_file().sync_all()?;
    tmp.persist(&a.out).with_context(|| format!("cannot write {}", a.out.display()))?;
    if !g.quiet {
        println!(
            "wrote {} rows to {} ({} templates: {} known, {} mined)",
            n,
            a.out.display(),
            templates.iter().filter(|t| t.count > 0).count(),
            out.stats.templates_known,
            out.stats.templates_mined
        );
    }
    Ok(())
}
