//! `lanyard catalog validate` and `lanyard catalog test`: what a vendor runs before submitting an integration.

mod probe;

use std::path::Path;

use lanyard_catalog::Entry;
use lanyard_catalog::manifest::line_of;

use crate::cli::CatalogCommand;

pub async fn run(cmd: CatalogCommand) -> anyhow::Result<()> {
    super::init_cli_logging();
    match cmd {
        CatalogCommand::Validate { files } => validate(&files),
        CatalogCommand::Test(args) => probe::run(args).await,
    }
}

fn validate(files: &[std::path::PathBuf]) -> anyhow::Result<()> {
    let mut failed = 0;
    for file in files {
        match check_file(file) {
            Ok(e) => println!(
                "{}: ok ({}, {} variable(s), {} setup style(s), revision {})",
                file.display(),
                e.manifest.display_name,
                e.manifest.variables.len(),
                e.manifest.setup.len(),
                e.revision
            ),
            Err(problems) => {
                failed += 1;
                for p in problems {
                    println!("{p}");
                }
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} manifest(s) have problems", files.len());
    }
    Ok(())
}

/// Reads and checks a manifest file; its problems as `FILE:LINE: field: message` lines.
pub(crate) fn check_file(file: &Path) -> Result<Entry, Vec<String>> {
    let shown = file.display();
    let text = std::fs::read_to_string(file).map_err(|e| vec![format!("{shown}: {e}")])?;
    let stem = file.file_stem().and_then(|s| s.to_str());
    Entry::from_text(&text, stem, false).map_err(|problems| {
        problems
            .iter()
            .map(|p| match line_of(&text, &p.path) {
                // A TOML syntax error already names its line.
                _ if p.path.starts_with("line ") => {
                    format!("{shown}:{}", p.to_string().trim_start_matches("line "))
                }
                Some(line) => format!("{shown}:{line}: {p}"),
                None => format!("{shown}: {p}"),
            })
            .collect()
    })
}
