//! Reading a graph document from a file or standard input.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A graph document's text and where it came from (its folder resolves the
/// relative `from_npy` paths).
#[derive(Debug, Clone)]
pub struct Source {
    name: String,
    text: String,
    base_dir: PathBuf,
}

/// A document that could not be read, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {name}: {source}")]
pub struct SourceError {
    name: String,
    #[source]
    source: io::Error,
}

impl Source {
    /// Reads `path`, or standard input when `path` is `-` (then relative paths are
    /// resolved against the current folder).
    pub fn load(path: &str) -> Result<Source, SourceError> {
        let error = |source| SourceError {
            name: path.to_string(),
            source,
        };
        if path == "-" {
            let mut text = String::new();
            io::stdin().read_to_string(&mut text).map_err(error)?;
            let base_dir = std::env::current_dir().map_err(error)?;
            return Ok(Source {
                name: "<stdin>".into(),
                text,
                base_dir,
            });
        }
        let text = std::fs::read_to_string(path).map_err(error)?;
        let base_dir = Path::new(path)
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .to_path_buf();
        Ok(Source {
            name: path.to_string(),
            text,
            base_dir,
        })
    }

    /// A document given as text, with relative paths resolved against `base_dir`.
    pub fn from_text(
        name: impl Into<String>,
        text: impl Into<String>,
        base_dir: PathBuf,
    ) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
            base_dir,
        }
    }

    /// The file name, or `<stdin>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The document text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The folder `from_npy` paths are relative to.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }
}
