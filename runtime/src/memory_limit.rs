//! The memory a run may use: the lower of the process's cgroup limit (v2
//! `memory.max`, v1 `memory.limit_in_bytes`, over the process's cgroup and its
//! ancestors) and the memory available now (`MemAvailable`), or a limit the user
//! gives (`--memory-limit SIZE|none`).

use std::path::Path;

/// The memory the machine lets this process use, in bytes: the lower of its
/// cgroup limit and `MemAvailable`, read once per process (reading cgroup files
/// costs more than a small computation). `None` where neither can be read.
pub fn detected_memory_bytes() -> Option<usize> {
    static BYTES: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
    *BYTES.get_or_init(|| {
        let available = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| meminfo_available(&text));
        let cgroup = std::fs::read_to_string("/proc/self/cgroup")
            .ok()
            .and_then(|text| cgroup_limit(&text, Path::new("/sys/fs/cgroup")));
        match (available, cgroup) {
            (Some(a), Some(c)) => Some(a.min(c)),
            (a, c) => a.or(c),
        }
    })
}

/// `MemAvailable` (else `MemTotal`) of a `/proc/meminfo` text, in bytes.
fn meminfo_available(meminfo: &str) -> Option<usize> {
    let field = |name: &str| {
        let line = meminfo.lines().find(|l| l.starts_with(name))?;
        let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    };
    field("MemAvailable:").or_else(|| field("MemTotal:"))
}

/// The lowest memory limit of the cgroups named in a `/proc/self/cgroup` text
/// (the process's group and its ancestors), under the cgroup mount `root`.
fn cgroup_limit(proc_cgroup: &str, root: &Path) -> Option<usize> {
    let mut lowest: Option<usize> = None;
    for line in proc_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (base, file) = if controllers.is_empty() {
            (root.to_path_buf(), "memory.max")
        } else if controllers.split(',').any(|c| c == "memory") {
            (root.join("memory"), "memory.limit_in_bytes")
        } else {
            continue;
        };
        // The group itself, then each ancestor up to the mount's root.
        let mut group = Path::new(path.trim_start_matches('/'));
        loop {
            let limit = std::fs::read_to_string(base.join(group).join(file))
                .ok()
                .and_then(|text| cgroup_value(&text));
            if let Some(limit) = limit {
                lowest = Some(lowest.map_or(limit, |l| l.min(limit)));
            }
            match group.parent() {
                Some(parent) => group = parent,
                None => break,
            }
        }
    }
    lowest
}

/// A cgroup limit file's value: `max` (v2) and v1's "no limit" (a page-rounded
/// `i64::MAX`, or anything from 2^62 up) mean no limit.
fn cgroup_value(text: &str) -> Option<usize> {
    let value: u64 = text.trim().parse().ok()?;
    (value < 1 << 62)
        .then(|| usize::try_from(value).ok())
        .flatten()
}

/// The memory budget of a computation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MemoryLimit {
    /// What the machine lets this process use ([`detected_memory_bytes`]).
    #[default]
    Detected,
    /// This many bytes (`--memory-limit SIZE`).
    Bytes(usize),
    /// No limit (`--memory-limit none`).
    Unlimited,
}

impl MemoryLimit {
    /// Parses `--memory-limit SIZE|none` (see [`parse_memory_limit`]).
    pub fn parse(text: &str) -> Result<MemoryLimit, String> {
        Ok(match parse_memory_limit(text)? {
            Some(bytes) => MemoryLimit::Bytes(bytes),
            None => MemoryLimit::Unlimited,
        })
    }

    /// The budget in bytes; `None`: no limit (or none could be detected).
    pub fn bytes(self) -> Option<usize> {
        match self {
            MemoryLimit::Detected => detected_memory_bytes(),
            MemoryLimit::Bytes(bytes) => Some(bytes),
            MemoryLimit::Unlimited => None,
        }
    }
}

/// Parses `--memory-limit`: `none` (no limit), or a size: a number of bytes with
/// an optional unit `K M G T` (powers of 1024; `KB`, `KiB`, `MB`... alike),
/// fractions allowed (`1.5G`). `Ok(None)` is "no limit".
pub fn parse_memory_limit(text: &str) -> Result<Option<usize>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(bad_limit(text)),
    };
    let value: f64 = number.parse().map_err(|_| bad_limit(text))?;
    let bytes = value * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes >= usize::MAX as f64 {
        return Err(bad_limit(text));
    }
    Ok(Some(bytes as usize))
}

fn bad_limit(text: &str) -> String {
    format!(
        "invalid memory limit {text:?}: give a size such as 512M, 4G or 1.5G (bytes without a unit), or none"
    )
}

/// Bytes as a short human figure (`1.5 GiB`, `300 MiB`, `512 B`).
pub fn format_bytes(bytes: usize) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_limit_sizes_and_none() {
        assert_eq!(parse_memory_limit("none"), Ok(None));
        assert_eq!(parse_memory_limit("4096"), Ok(Some(4096)));
        assert_eq!(parse_memory_limit("2K"), Ok(Some(2048)));
        assert_eq!(parse_memory_limit("512MiB"), Ok(Some(512 << 20)));
        assert_eq!(parse_memory_limit("1.5G"), Ok(Some(3 << 29)));
        assert_eq!(parse_memory_limit("4 gb"), Ok(Some(4 << 30)));
        for bad in ["", "G", "-1G", "0", "1X", "1e99T", "abc"] {
            assert!(parse_memory_limit(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn meminfo_prefers_available_memory() {
        let text = "MemTotal:  1000 kB\nMemFree: 10 kB\nMemAvailable:  600 kB\n";
        assert_eq!(meminfo_available(text), Some(600 * 1024));
        assert_eq!(meminfo_available("MemTotal: 8 kB\n"), Some(8192));
        assert_eq!(meminfo_available("nothing"), None);
    }

    #[test]
    fn cgroup_limits_of_v1_and_v2_and_their_ancestors() {
        let root = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let p = root.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        // v2: the group says max, its parent 3 GiB.
        write("a/b/memory.max", "max\n");
        write("a/memory.max", "3221225472\n");
        assert_eq!(cgroup_limit("0::/a/b\n", root.path()), Some(3 << 30));
        // v1: no limit in the group (page-rounded i64::MAX), 1 GiB at its root.
        write("memory/g/memory.limit_in_bytes", "9223372036854771712\n");
        write("memory/memory.limit_in_bytes", "1073741824\n");
        assert_eq!(
            cgroup_limit("4:memory:/g\n3:cpu:/\n", root.path()),
            Some(1 << 30)
        );
        assert_eq!(cgroup_limit("1:cpu:/\n", root.path()), None);
        assert_eq!(cgroup_value("max"), None);
    }

    #[test]
    fn detected_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let bytes = detected_memory_bytes().expect("/proc/meminfo is readable");
            assert!(bytes > 1 << 20, "{bytes} bytes");
        }
    }

    #[test]
    fn byte_figures() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(3 << 29), "1.5 GiB");
    }
}
