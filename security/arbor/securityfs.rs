// SPDX-License-Identifier: GPL-2.0
//! arbor's securityfs files, in /sys/kernel/security/arbor/.
//!
//! Documented in Documentation/ABI/testing/securityfs-arbor. Modes and
//! ownership follow IMA's measurement files: read-only, root and group
//! readable (0440).

use crate::audit::{self, AuditOp};
use crate::format::checkpoint;
use crate::format::template::{self, put_decimal, put_hex, Sink};
use crate::kapi::error::{ebadmsg, estale};
use crate::kapi::securityfs::{self, SeqSource, ShowError, Writable};
use crate::kapi::seq_file::{Overflow, SeqFile};
use crate::measure::PCR;
use crate::{digest_lists, mode, policy, ARBOR};
use kernel::c_str;
use kernel::prelude::*;

const MODE_READ_ONLY: u16 = 0o440;

/// Longest value written to `enforce` or `lockdown` (`1` and a newline,
/// with room for what `echo` and friends add); longer writes fail with
/// `EINVAL`.
const CONTROL_MAX: usize = 31;

/// The entry of global index `index` for a reader about to show it; a
/// trim may have dropped it since the reader's position was checked.
fn entry(index: usize) -> Result<kernel::sync::Arc<crate::list::Entry>, ShowError> {
    ARBOR
        .get()
        .and_then(|a| a.list.get(index as u64))
        .ok_or_else(|| ShowError::Failed(estale()))
}

/// Where a reader of the list at position `pos` goes on: positions are
/// global indexes, so a reader that was in the middle of the list when a
/// trim happened resumes at the same entry; one at position 0 (nothing
/// read yet) starts at the first held entry; one whose next entry was
/// dropped gets `ESTALE` rather than a list with a gap.
fn list_seek(pos: usize) -> Result<Option<usize>> {
    let Some(a) = ARBOR.get() else {
        return Ok(None);
    };
    let held = a.list.window();
    let next = if pos == 0 { held.start } else { pos as u64 };
    if next < held.start {
        return Err(estale());
    }
    Ok((next < held.end).then_some(next as usize))
}

/// `binary_runtime_measurements`: the list in IMA's binary layout.
struct BinaryList;

impl SeqSource for BinaryList {
    fn seek(pos: usize) -> Result<Option<usize>> {
        list_seek(pos)
    }

    fn show(index: usize, mut m: &SeqFile) -> Result<(), ShowError> {
        let e = entry(index)?;
        let e = e.view();
        m.put(&e.pcr.to_le_bytes())?;
        m.put(e.template_digest)?;
        m.put(&(e.template_name.len() as u32).to_le_bytes())?;
        m.put(e.template_name)?;
        m.put(&(e.data.len() as u32).to_le_bytes())?;
        Ok(m.put(e.data)?)
    }
}

/// `ascii_runtime_measurements`: the list as IMA prints it.
struct AsciiList;

impl SeqSource for AsciiList {
    fn seek(pos: usize) -> Result<Option<usize>> {
        list_seek(pos)
    }

    fn show(index: usize, mut m: &SeqFile) -> Result<(), ShowError> {
        let e = entry(index)?;
        match template::render_ascii(&mut m, &e.view()) {
            Ok(()) => Ok(()),
            Err(template::RenderError::Sink(o)) => Err(o.into()),
            // Entries are encoded by arbor itself, so this means a bug;
            // show the record's position rather than hide it.
            Err(template::RenderError::Format(_)) => {
                pr_err!("measurement list entry {} cannot be rendered\n", index);
                Ok(())
            }
        }
    }
}

/// A file with one line of content.
trait OneLine: 'static {
    fn show(m: &SeqFile) -> Result<(), Overflow>;
}

impl<T: OneLine> SeqSource for T {
    fn seek(pos: usize) -> Result<Option<usize>> {
        Ok((pos == 0).then_some(0))
    }

    fn show(_index: usize, m: &SeqFile) -> Result<(), ShowError> {
        Ok(<T as OneLine>::show(m)?)
    }
}

/// `runtime_measurements_count`: the number of entries held (in the list
/// files now), in decimal.
struct Count;

impl OneLine for Count {
    fn show(mut m: &SeqFile) -> Result<(), Overflow> {
        let n = ARBOR.get().map_or(0, |a| a.list.len());
        put_decimal(&mut m, n as u64)?;
        m.put(b"\n")
    }
}

/// `runtime_measurements_dropped`: the number of entries trims have
/// dropped since boot, which is also the global index of the first entry
/// held, in decimal.
struct Dropped;

impl OneLine for Dropped {
    fn show(mut m: &SeqFile) -> Result<(), Overflow> {
        let n = ARBOR.get().map_or(0, |a| a.list.dropped());
        put_decimal(&mut m, n)?;
        m.put(b"\n")
    }
}

/// Files that are only written: reading them gives nothing.
macro_rules! write_only {
    ($($t:ty),*) => {$(
        impl SeqSource for $t {
            fn seek(_pos: usize) -> Result<Option<usize>> {
                Ok(None)
            }

            fn show(_index: usize, _m: &SeqFile) -> Result<(), ShowError> {
                Ok(())
            }
        }
    )*};
}

write_only!(Checkpoint, Trim, DigestListLoad, DigestListRemove);

/// `checkpoint`: writing `1` appends a checkpoint entry. Needs
/// `CAP_MAC_ADMIN`.
struct Checkpoint;

impl Writable for Checkpoint {
    const MAX_WRITE: usize = CONTROL_MAX;

    fn store(input: &[u8]) -> Result {
        if mode::parse_flag(input) != Some(true) {
            return Err(EINVAL);
        }
        let arbor = ARBOR.get().ok_or(ENODEV)?;
        let index = arbor
            .list
            .checkpoint(&arbor.hashes(), arbor.tpm.as_ref(), PCR)
            .inspect_err(|e| pr_err!("checkpoint failed (error {})\n", e.to_errno()))?;
        audit::emit(AuditOp::Checkpoint { index });
        Ok(())
    }
}

/// Longest line written to `trim`: an index of 20 digits, a space, 40 hex
/// digits and a newline.
const TRIM_MAX: usize = 62;

/// `trim`: writing `INDEX DIGEST` drops the held entries before the
/// checkpoint of global index `INDEX` whose template digest is `DIGEST`.
/// Needs `CAP_MAC_ADMIN`.
struct Trim;

impl Writable for Trim {
    const MAX_WRITE: usize = TRIM_MAX;

    fn store(input: &[u8]) -> Result {
        let arbor = ARBOR.get().ok_or(ENODEV)?;
        let refuse = |index, e: Error, cause| {
            pr_info!("trim refused: {}\n", cause);
            audit::emit(AuditOp::TrimRefused { index, cause });
            e
        };
        let Some(req) = checkpoint::parse_trim_request(input) else {
            return Err(refuse(None, EINVAL, "malformed"));
        };
        match arbor.list.trim(req.index, &req.digest, &arbor.hashes()) {
            Ok(dropped) => {
                pr_info!(
                    "list trimmed: {} entries dropped; the first held is now entry {}\n",
                    dropped,
                    req.index
                );
                audit::emit(AuditOp::Trimmed {
                    index: req.index,
                    dropped,
                });
                Ok(())
            }
            Err(e) => {
                let cause = match e {
                    e if e == estale() => "already_dropped",
                    e if e == ERANGE => "no_such_entry",
                    e if e == ENOENT => "not_a_checkpoint",
                    e if e == ebadmsg() => "digest_mismatch",
                    _ => "failed",
                };
                Err(refuse(Some(req.index), e, cause))
            }
        }
    }
}

/// Longest write to `digest_list_load` or `digest_list_remove`: a path
/// and a newline.
const DIGEST_LIST_PATH_MAX: usize = digest_lists::MAX_NAME + 1;

/// `digest_list_load`: writing the absolute path of a signed digest list
/// loads it. Needs `CAP_MAC_ADMIN`.
struct DigestListLoad;

impl Writable for DigestListLoad {
    const MAX_WRITE: usize = DIGEST_LIST_PATH_MAX;

    fn store(input: &[u8]) -> Result {
        digest_lists::load(ARBOR.get().ok_or(ENODEV)?, input)
    }
}

/// `digest_list_remove`: writing the path a list was loaded from removes
/// it. Needs `CAP_MAC_ADMIN`.
struct DigestListRemove;

impl Writable for DigestListRemove {
    const MAX_WRITE: usize = DIGEST_LIST_PATH_MAX;

    fn store(input: &[u8]) -> Result {
        digest_lists::remove(ARBOR.get().ok_or(ENODEV)?, input)
    }
}

/// `digest_lists`: the lists in force, one line each in load order:
/// `KIND COUNT ALG SHA256 NAME`, with the list's kind (`allow` or
/// `revoke`), its number of digests, their algorithm, the SHA-256 of the
/// signed list (as measured) and the path it was loaded from.
struct DigestLists;

impl SeqSource for DigestLists {
    fn seek(pos: usize) -> Result<Option<usize>> {
        Ok(digest_lists::nth(pos).map(|_| pos))
    }

    fn show(index: usize, mut m: &SeqFile) -> Result<(), ShowError> {
        // Gone since the position was checked: the list ends here.
        let Some(l) = digest_lists::nth(index) else {
            return Ok(());
        };
        m.put(l.kind().name().as_bytes())?;
        m.put(b" ")?;
        put_decimal(&mut m, l.count())?;
        m.put(b" ")?;
        m.put(l.alg().name().as_bytes())?;
        m.put(b" ")?;
        put_hex(&mut m, l.sha256())?;
        m.put(b" ")?;
        m.put(l.name())?;
        Ok(m.put(b"\n")?)
    }
}

/// `violations`: the number of violations recorded, in decimal.
struct Violations;

impl OneLine for Violations {
    fn show(mut m: &SeqFile) -> Result<(), Overflow> {
        let n = ARBOR.get().map_or(0, |a| a.list.violations());
        put_decimal(&mut m, n)?;
        m.put(b"\n")
    }
}

/// `policy`: the policy in force, as canonical text; writing replaces it.
struct Policy;

impl OneLine for Policy {
    /// One record, the whole policy, rendered from one RCU snapshot.
    fn show(mut m: &SeqFile) -> Result<(), Overflow> {
        policy::render(&mut m)
    }
}

impl Writable for Policy {
    const MAX_WRITE: usize = policy::MAX_POLICY_SIZE;

    fn store(input: &[u8]) -> Result {
        let arbor = ARBOR.get().ok_or(ENODEV)?;
        policy::load(&arbor.policy_lock, input)
    }

    fn too_big() -> Error {
        policy::refuse_too_big()
    }
}

/// Number of PCR lines in the software PCR files, as a TPM has.
const NR_PCRS: u32 = 24;

/// `software_pcrs_sha1`, `software_pcrs_sha256`: the value each PCR would
/// have in a TPM that started from zero and saw only arbor's extensions,
/// one `PCR-NN: HEX` line per PCR (the format `evmctl ima_measurement
/// --pcrs` reads).
struct SoftwarePcrs<const SHA256: bool>;

impl<const SHA256: bool> SeqSource for SoftwarePcrs<SHA256> {
    fn seek(pos: usize) -> Result<Option<usize>> {
        Ok((pos == 0).then_some(0))
    }

    fn show(_index: usize, mut m: &SeqFile) -> Result<(), ShowError> {
        // The values are folded over the entries appended since the last
        // read (or checkpoint) now.
        let pcrs = match ARBOR.get() {
            Some(a) => Some(a.list.pcrs(&a.hashes()).map_err(ShowError::Failed)?),
            None => None,
        };
        for i in 0..NR_PCRS {
            m.put(b"PCR-")?;
            m.put(&[b'0' + (i / 10) as u8, b'0' + (i % 10) as u8])?;
            m.put(b": ")?;
            let zero = [0u8; crate::list::SHA256_SIZE];
            let value: &[u8] = match (&pcrs, SHA256) {
                (Some(p), false) if i == PCR => &p.sha1,
                (Some(p), true) if i == PCR => &p.sha256,
                (_, false) => zero.get(..20).unwrap_or_default(),
                (_, true) => &zero,
            };
            put_hex(&mut m, value)?;
            m.put(b"\n")?;
        }
        Ok(())
    }
}

/// `enforce`: `1` when untrusted files are refused, `0` when they are only
/// logged. Readable by all; writing needs `CAP_MAC_ADMIN`.
struct Enforce;

impl OneLine for Enforce {
    fn show(m: &SeqFile) -> Result<(), Overflow> {
        m.write(mode::show_flag(mode::enforcing()))
    }
}

impl Writable for Enforce {
    const MAX_WRITE: usize = CONTROL_MAX;

    fn store(input: &[u8]) -> Result {
        let on = mode::parse_flag(input).ok_or(EINVAL)?;
        if on != mode::enforcing() {
            if let Err(e) = mode::set_enforcing(on) {
                pr_info!("refused to switch to permissive mode: locked in enforcing mode\n");
                crate::audit::emit(crate::audit::AuditOp::ModeRefused);
                return Err(e);
            }
            pr_info!("switched to {} mode\n", mode::name(on));
            crate::audit::emit(crate::audit::AuditOp::ModeChanged { enforcing: on });
        }
        Ok(())
    }
}

/// `lockdown`: `1` once arbor is locked in enforcing mode, else `0`.
/// Writing `1` locks it, for good; writing `0` while it is locked fails
/// with `EPERM`. Writing needs `CAP_MAC_ADMIN`.
struct Lockdown;

impl OneLine for Lockdown {
    fn show(m: &SeqFile) -> Result<(), Overflow> {
        m.write(mode::show_flag(mode::locked()))
    }
}

impl Writable for Lockdown {
    const MAX_WRITE: usize = CONTROL_MAX;

    fn store(input: &[u8]) -> Result {
        match mode::parse_flag(input).ok_or(EINVAL)? {
            true => {
                if mode::lock() {
                    pr_info!("locked in enforcing mode; only signed policies are accepted\n");
                    crate::audit::emit(crate::audit::AuditOp::Locked);
                }
                Ok(())
            }
            false if mode::locked() => Err(EPERM),
            false => Ok(()),
        }
    }
}

/// Creates /sys/kernel/security/arbor/ and its files.
pub(crate) fn create() -> Result {
    let dir = securityfs::create_dir(c_str!("arbor"), None)?;
    securityfs::create_file::<BinaryList>(
        c_str!("binary_runtime_measurements"),
        MODE_READ_ONLY,
        &dir,
    )?;
    securityfs::create_file::<AsciiList>(
        c_str!("ascii_runtime_measurements"),
        MODE_READ_ONLY,
        &dir,
    )?;
    securityfs::create_file::<Count>(c_str!("runtime_measurements_count"), MODE_READ_ONLY, &dir)?;
    securityfs::create_file::<Dropped>(
        c_str!("runtime_measurements_dropped"),
        MODE_READ_ONLY,
        &dir,
    )?;
    securityfs::create_file::<SoftwarePcrs<false>>(
        c_str!("software_pcrs_sha1"),
        MODE_READ_ONLY,
        &dir,
    )?;
    securityfs::create_file::<SoftwarePcrs<true>>(
        c_str!("software_pcrs_sha256"),
        MODE_READ_ONLY,
        &dir,
    )?;
    securityfs::create_file::<Violations>(c_str!("violations"), MODE_READ_ONLY, &dir)?;
    securityfs::create_writable_file::<Enforce>(c_str!("enforce"), 0o644, &dir)?;
    securityfs::create_writable_file::<Lockdown>(c_str!("lockdown"), 0o644, &dir)?;
    securityfs::create_writable_file::<Policy>(c_str!("policy"), 0o600, &dir)?;
    securityfs::create_writable_file::<Checkpoint>(c_str!("checkpoint"), 0o200, &dir)?;
    securityfs::create_writable_file::<Trim>(c_str!("trim"), 0o200, &dir)?;
    securityfs::create_file::<DigestLists>(c_str!("digest_lists"), MODE_READ_ONLY, &dir)?;
    securityfs::create_writable_file::<DigestListLoad>(c_str!("digest_list_load"), 0o200, &dir)?;
    securityfs::create_writable_file::<DigestListRemove>(
        c_str!("digest_list_remove"),
        0o200,
        &dir,
    )?;
    Ok(())
}
