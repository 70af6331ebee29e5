//! Which node this process is among those sharing a database: the name its leases carry.
//!
//! Unless given, the id is kept in the data directory (`node.id`), with either database, so that a restarted
//! kurir recognises the leases it held and sends those deliveries again at once. The file stays locked while the process runs: a second
//! process on the same directory cannot take the same name, and gets a random one.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::Path;

use anyhow::Context as _;
use kurir_store::NodeId;

/// This process's node id, and the locked file that reserves it (held until the process ends).
pub fn identity(given: Option<&str>, data_dir: &Path) -> anyhow::Result<(NodeId, Option<File>)> {
    if let Some(given) = given {
        return Ok((NodeId::new(given)?, None));
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let path = data_dir.join(NodeId::FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    if file.try_lock().is_err() {
        let node = NodeId::random();
        tracing::warn!(%node, "another kurir process uses this data directory's node id; this one is {node}");
        return Ok((node, None));
    }
    let mut text = String::new();
    file.read_to_string(&mut text).with_context(|| format!("cannot read {}", path.display()))?;
    let node = match NodeId::new(text.trim()) {
        Ok(node) => node,
        Err(_) => {
            let node = NodeId::random();
            file.set_len(0)?;
            file.rewind()?;
            file.write_all(node.as_str().as_bytes())?;
            file.sync_all()?;
            node
        }
    };
    Ok((node, Some(file)))
}
