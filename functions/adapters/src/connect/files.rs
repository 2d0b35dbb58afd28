//! The desired state's files, from a directory (CLI) or a zip (pipeline artifact, S3 bundle).
//! Only `*.yaml`, `*.yml`, `*.json` are read; hidden paths are skipped; sizes are bounded, and zip
//! entries that would escape the root are rejected.

use std::io::Read;
use std::path::Path;

use switchyard_core::kafka_sync::SourceFile;

/// Bounds against a runaway directory or a zip bomb.
pub const MAX_FILES: usize = 10_000;
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
pub const MAX_TOTAL_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FilesError {
    pub path: String,
    pub message: String,
}

fn wanted(path: &str) -> bool {
    [".yaml", ".yml", ".json"].iter().any(|e| path.ends_with(e))
        && !path.split('/').any(|p| p.starts_with('.'))
}

fn error(path: impl Into<String>, message: impl Into<String>) -> FilesError {
    FilesError {
        path: path.into(),
        message: message.into(),
    }
}

/// Every desired-state file under `root`, with `/`-separated paths relative to it.
pub fn read_dir(root: &Path) -> Result<Vec<SourceFile>, FilesError> {
    let meta =
        std::fs::metadata(root).map_err(|e| error(root.display().to_string(), e.to_string()))?;
    if !meta.is_dir() {
        return Err(error(root.display().to_string(), "is not a directory"));
    }
    let mut out = Vec::new();
    let mut total = 0;
    walk(root, "", &mut out, &mut total)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn walk(
    dir: &Path,
    prefix: &str,
    out: &mut Vec<SourceFile>,
    total: &mut u64,
) -> Result<(), FilesError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| error(dir.display().to_string(), e.to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|e| error(dir.display().to_string(), e.to_string()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let rel = format!("{prefix}{name}");
        let file_type = entry.file_type().map_err(|e| error(&rel, e.to_string()))?;
        if file_type.is_dir() {
            walk(&entry.path(), &format!("{rel}/"), out, total)?;
        } else if wanted(&rel) {
            let contents = std::fs::read(entry.path()).map_err(|e| error(&rel, e.to_string()))?;
            push(out, total, rel, contents)?;
        }
    }
    Ok(())
}

fn push(
    out: &mut Vec<SourceFile>,
    total: &mut u64,
    path: String,
    contents: Vec<u8>,
) -> Result<(), FilesError> {
    let size = contents.len() as u64;
    if size > MAX_FILE_BYTES {
        return Err(error(
            path,
            format!("is larger than {MAX_FILE_BYTES} bytes"),
        ));
    }
    *total += size;
    if *total > MAX_TOTAL_BYTES || out.len() >= MAX_FILES {
        return Err(error(
            path,
            format!("the desired state exceeds {MAX_FILES} files or {MAX_TOTAL_BYTES} bytes"),
        ));
    }
    out.push(SourceFile { path, contents });
    Ok(())
}

/// The desired-state files in a zip, relative to `subdir` inside it (`""` for the root).
pub fn read_zip(bytes: &[u8], subdir: &str) -> Result<Vec<SourceFile>, FilesError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| error("(zip)", e.to_string()))?;
    let prefix = match subdir.trim_matches('/') {
        "" => String::new(),
        dir => format!("{dir}/"),
    };
    let mut out = Vec::new();
    let mut total = 0;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| error("(zip)", e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let raw_name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let Some(enclosed) = entry.enclosed_name() else {
            return Err(error(raw_name, "escapes the archive root"));
        };
        let path = enclosed.to_string_lossy().replace('\\', "/");
        let Some(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        if !wanted(rel) {
            continue;
        }
        if entry.size() > MAX_FILE_BYTES {
            return Err(error(rel, format!("is larger than {MAX_FILE_BYTES} bytes")));
        }
        let mut contents = Vec::with_capacity(entry.size() as usize);
        // `take` bounds what is inflated, whatever the header claims.
        (&mut entry)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut contents)
            .map_err(|e| error(rel, e.to_string()))?;
        push(&mut out, &mut total, rel.to_owned(), contents)?;
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    pub fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, text) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn reads_a_zip_below_a_subdirectory() {
        let bytes = zip_of(&[
            ("connect/environments/dev.yaml", "a: 1"),
            ("connect/connectors/x.yaml", "name: x"),
            ("connect/README.md", "no"),
            ("other/y.yaml", "no"),
            ("connect/.hidden/z.yaml", "no"),
        ]);
        let files = read_zip(&bytes, "connect/").unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["connectors/x.yaml", "environments/dev.yaml"]);
        assert_eq!(read_zip(&bytes, "").unwrap().len(), 3);
    }

    #[test]
    fn rejects_escaping_entries_and_garbage() {
        let bytes = zip_of(&[("../evil.yaml", "x")]);
        assert!(read_zip(&bytes, "")
            .unwrap_err()
            .to_string()
            .contains("escapes"));
        assert!(read_zip(b"not a zip", "").is_err());
    }

    #[test]
    fn reads_a_directory() {
        let dir = std::env::temp_dir().join(format!("sy-files-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("environments")).unwrap();
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        std::fs::write(dir.join("environments/dev.yaml"), "a: 1").unwrap();
        std::fs::write(dir.join("c.json"), "{}").unwrap();
        std::fs::write(dir.join(".git/x.yaml"), "").unwrap();
        std::fs::write(dir.join("notes.txt"), "").unwrap();
        let files = read_dir(&dir).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["c.json", "environments/dev.yaml"]);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(read_dir(&dir).is_err());
    }
}
