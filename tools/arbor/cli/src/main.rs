// SPDX-License-Identifier: GPL-2.0
//! `arbor`: fs-verity digests, arbor/IMA signatures and IMA measurement
//! lists from the command line.

use anyhow::{bail, Context, Result};
use arbor_cli::digest::{self, hex};
use arbor_cli::digest_list;
use arbor_cli::keylime;
use arbor_cli::log::{self, Bank, PcrSource, VerifyOptions};
use arbor_cli::sign::Signer;
use arbor_cli::{Failure, EXIT_ERROR, EXIT_FAILURE, EXIT_OK};
use arbor_format::digest_list::Kind;
use arbor_format::merkle::{self, HashAlgorithm};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit status:
  0  success
  1  verification failure (a bad template digest, signature or PCR value)
  2  usage error, or an input that cannot be read or parsed";

/// fs-verity digests, signatures and IMA measurement lists for arbor.
///
/// arbor identifies files by their fs-verity digest. This command computes
/// those digests exactly as fs-verity and `fsverity digest` do, signs them
/// for the `security.arbor` and `security.ima` extended attributes, and
/// reads and verifies binary IMA measurement lists. The formats come from
/// the same Rust source files the kernel compiles.
#[derive(Parser, Debug)]
#[command(name = "arbor", version, after_help = EXIT_CODES, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print fs-verity file digests, in `fsverity digest`'s format.
    ///
    /// Each FILE's digest is printed as `ALG:HEX FILE`. The data blocks are
    /// hashed in parallel on all cores (set the thread count with --threads
    /// or RAYON_NUM_THREADS); the levels above them are then built by the
    /// shared Merkle code. On a terminal, files of 256 MiB and more show a
    /// progress bar on standard error.
    #[command(after_help = EXIT_CODES)]
    Digest(DigestArgs),
    /// Sign files' fs-verity digests for `security.arbor` or `security.ima`.
    ///
    /// By default produces the `security.arbor` value: a 4-byte header
    /// (version 1, fs-verity hash algorithm, log2 block size, salt size),
    /// the salt, then a detached DER PKCS#7 signature (no signed
    /// attributes, no certificates) over the fs-verity formatted digest,
    /// the message `fsverity sign` signs. With --ima-sigv3, produces an IMA
    /// signature version 3 (`security.ima`, type IMA_VERITY_DIGSIG) over the
    /// fs-verity digest instead. The value goes to the file's extended
    /// attribute with --write, or to a file with --out.
    #[command(after_help = EXIT_CODES)]
    Sign(SignArgs),
    /// Check, show and sign arbor policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Read and verify binary IMA measurement lists.
    #[command(subcommand)]
    Log(LogCommand),
    /// Write a keylime runtime policy for files and directories.
    ///
    /// keylime's verifier checks each `ima-ng` or `ima-sig` entry of a
    /// measurement list against a runtime policy: the SHA-256 hashes
    /// (what `sha256sum` prints) each path may have. This writes that
    /// policy (keylime's JSON format, version 1) for the regular files
    /// under each PATH, directories walked recursively; symbolic links are
    /// skipped (the kernel records the path of the file a link leads to).
    /// A file that is a digest list is also allowed under the names of the
    /// records of its load and removal from its path
    /// (`arbor_digest_list:PATH`, `arbor_digest_list_removed:PATH`). Boot
    /// arbor with `arbor.template=ima-ng` (or give its measure rules
    /// `template=ima-ng`) for entries keylime can check.
    #[command(after_help = EXIT_CODES)]
    KeylimePolicy(KeylimeArgs),
    /// Build, sign, show and verify digest lists.
    ///
    /// A digest list is a signed set of fs-verity digests that the kernel
    /// loads (`digest_list_load` in arbor's securityfs directory): a file
    /// whose digest is in a loaded allow list is trusted as if it were
    /// signed, and one in a loaded revoke list is refused whatever vouches
    /// for it.
    #[command(subcommand)]
    DigestList(DigestListCommand),
}

#[derive(Subcommand, Debug)]
enum DigestListCommand {
    /// Make an unsigned list of the fs-verity digests of files.
    ///
    /// Hashes the regular files under each PATH (directories walked
    /// recursively, symbolic links skipped) and the files each Debian
    /// package (--deb) installs, read from the package's data.tar without
    /// installing it, in parallel, with a progress bar on a terminal, and
    /// writes the list: the header, then the digests sorted, each once. A
    /// package does not carry the files its maintainer scripts make, nor
    /// the effect of diversions and alternatives (links): list those files
    /// from an installed system.
    #[command(after_help = EXIT_CODES)]
    Build {
        /// Files and directories whose files go in the list.
        #[arg(value_name = "PATH", required_unless_present = "deb")]
        paths: Vec<PathBuf>,
        /// A Debian package (.deb) whose files go in the list; repeatable.
        #[arg(long, value_name = "DEB")]
        deb: Vec<PathBuf>,
        /// Make a revoke list (default: an allow list).
        #[arg(long)]
        revoke: bool,
        #[command(flatten)]
        tree: TreeArgs,
        /// Where to write the list.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Sign a list: append a detached PKCS#7 signature over it.
    ///
    /// The signature is DER, without signed attributes and without
    /// certificates; the kernel checks it against its builtin and
    /// secondary trusted keyrings.
    #[command(after_help = EXIT_CODES)]
    Sign {
        /// An unsigned list, as `build` writes it.
        #[arg(value_name = "LIST")]
        list: PathBuf,
        /// Private key (PEM).
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
        /// Certificate of the key (PEM or DER).
        #[arg(long, value_name = "CERT")]
        cert: PathBuf,
        /// Where to write the signed list.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print a list's header and digests (signed or not).
    #[command(after_help = EXIT_CODES)]
    Show {
        /// A list, signed or not.
        #[arg(value_name = "LIST")]
        list: PathBuf,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Predict the PCR values of a boot with predictable PCRs.
    ///
    /// With predictable PCRs (CONFIG_SECURITY_ARBOR_PREDICTABLE_PCR or
    /// arbor.predictable_pcr=1), a file found in a loaded allow list gets
    /// no entry of its own. A boot that loads LISTs in this order (at boot,
    /// from /etc/arbor/digest-lists in the initramfs, in byte order of
    /// their names), and uses no file they do not hold, records
    /// boot_aggregate and one entry per list, whatever order the listed
    /// programs ran in. This prints the PCR value such a boot produces, as
    /// `sha1 PCR-NN: HEX` and `sha256 PCR-NN: HEX`: what the TPM's PCR (or
    /// arbor's software PCR) holds after those entries.
    #[command(after_help = EXIT_CODES)]
    Pcr {
        /// Signed lists, in load order.
        #[arg(required = true, value_name = "LIST")]
        lists: Vec<PathBuf>,
        /// The directory the kernel loads the lists from; each list's entry
        /// names DIR/ and the list's file name.
        #[arg(long, value_name = "DIR", default_value = "/etc/arbor/digest-lists")]
        dir: String,
        /// The boot_aggregate the list starts with, `ALG:HEX` as its first
        /// entry records it (default: all zero, a boot without a TPM).
        #[arg(long, value_name = "ALG:HEX")]
        boot_aggregate: Option<String>,
        /// The template of the entries (the kernel's default, or
        /// arbor.template=).
        #[arg(long, value_name = "NAME", default_value = "ima-sigv2")]
        template: String,
        /// The PCR the entries extend (CONFIG_SECURITY_ARBOR_PCR).
        #[arg(long, value_name = "N", default_value_t = 10)]
        pcr: u32,
    },
    /// Check a signed list's format and its signature with a certificate.
    #[command(after_help = EXIT_CODES)]
    Verify {
        /// A signed list.
        #[arg(value_name = "LIST")]
        list: PathBuf,
        /// Certificate (PEM or DER) of the key that must have signed it.
        #[arg(long, value_name = "CERT")]
        cert: PathBuf,
    },
}

#[derive(Args, Debug)]
struct KeylimeArgs {
    /// Files and directories to allow.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The measured system's root here (an image or initramfs tree): each
    /// file is listed under its path relative to it, made absolute.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// A regular expression over paths that keylime skips; repeatable.
    /// `^arbor_checkpoint$` (arbor's checkpoint records) is always
    /// excluded.
    #[arg(long, value_name = "REGEX")]
    exclude: Vec<String>,
    /// Where to write the policy (default: standard output).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
struct TreeArgs {
    /// Hash algorithm of the Merkle tree.
    #[arg(long, value_enum, default_value_t = Alg::Sha256)]
    hash_alg: Alg,
    /// Merkle tree block size in bytes: a power of two from 1024 to 65536.
    #[arg(long, default_value_t = 4096)]
    block_size: u32,
    /// Salt prepended to every hashed block, in hex (at most 32 bytes).
    #[arg(long, value_name = "HEX")]
    salt: Option<String>,
    /// Worker threads for hashing, 1 to 1024 (default: one per core, or
    /// RAYON_NUM_THREADS).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
}

#[derive(Args, Debug)]
struct DigestArgs {
    /// Files to hash.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    tree: TreeArgs,
    /// Print only the hex digest, without the algorithm and file name.
    #[arg(long)]
    compact: bool,
    /// Print the hex of the formatted digest that built-in signatures sign
    /// ("FSVerity", algorithm, size, digest) instead of the digest.
    #[arg(long)]
    for_builtin_sig: bool,
}

#[derive(Args, Debug)]
struct SignArgs {
    /// Files whose fs-verity digest is signed.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// PEM private key (RSA or ECDSA).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// X.509 certificate (PEM or DER) of the key.
    #[arg(long, value_name = "CERT")]
    cert: PathBuf,
    #[command(flatten)]
    tree: TreeArgs,
    /// Make an IMA sigv3 `security.ima` value instead of `security.arbor`.
    #[arg(long)]
    ima_sigv3: bool,
    /// With --write, set `user.arbor` (`user.ima` with --ima-sigv3)
    /// instead: for filesystems that carry no `security.*` attributes, such
    /// as NFS. The kernel reads it only where its policy says so
    /// (`appraise_by=...user_signature`).
    #[arg(long, requires = "write")]
    user: bool,
    /// Set the extended attribute on each FILE (`security.*` needs
    /// privileges).
    #[arg(long, required_unless_present = "out")]
    write: bool,
    /// Write the value to this file (only with a single FILE).
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum PolicyCommand {
    /// Parse a policy as the kernel does and print it in canonical form.
    ///
    /// The text the kernel's policy file would read back after this
    /// policy is written: options first, conditions in a fixed order, no
    /// comments. A malformed policy is reported as `FILE:LINE:COLUMN:
    /// REASON`, with the line, column and reason the kernel would log.
    #[command(after_help = EXIT_CODES)]
    Check {
        /// Policy text.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print the default policy, the one in force from boot.
    #[command(after_help = EXIT_CODES)]
    Default,
    /// Sign a policy for a kernel that requires signed policies.
    ///
    /// Checks the policy, then writes a DER PKCS#7 message that carries
    /// the text, signed without signed attributes and without
    /// certificates. Write the result to the policy file in one write(),
    /// e.g. with `dd bs=1M`. The kernel accepts it if the key's
    /// certificate is on its builtin trusted keyring.
    #[command(after_help = EXIT_CODES)]
    Sign {
        /// Policy text.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Private key (PEM).
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
        /// Certificate of the key (PEM or DER).
        #[arg(long, value_name = "CERT")]
        cert: PathBuf,
        /// Where to write the signed policy.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum LogCommand {
    /// Print a binary list as the kernel's ascii_runtime_measurements.
    ///
    /// Each entry becomes the line IMA prints: PCR, template digest,
    /// template name and fields. With --json, each entry is one JSON object
    /// per line instead.
    #[command(after_help = EXIT_CODES)]
    Show {
        /// Binary measurement list (as binary_runtime_measurements).
        #[arg(value_name = "LIST")]
        list: PathBuf,
        /// One JSON object per entry instead of ASCII lines.
        #[arg(long)]
        json: bool,
    },
    /// Check template digests, replay PCRs and check signatures.
    ///
    /// Every entry's template digest must be SHA-1 over its template data,
    /// except violations (all-zero digest), which extend the PCRs with
    /// all-0xFF as IMA does. PCRs are replayed in the sha1 bank (extended
    /// with the template digest) and the sha256 bank (extended with SHA-256
    /// over the template data) and compared with --pcrs files or the TPM's
    /// sysfs values (--tpm). Signatures in ima-sig/ima-sigv2 entries are
    /// checked against the --cert certificates by key id; signatures whose
    /// key id matches no certificate are counted, not failed. The list is
    /// read entry by entry, so memory stays small for any list size. The
    /// first failing entry's index and the reason are printed.
    ///
    /// A list that starts after boot (a saved segment, or the kernel's list
    /// after a trim) starts at a checkpoint: the replay starts from the
    /// values it records. Every checkpoint must record its own index and
    /// the values the entries before it replay to. With --archive, the
    /// archive's segments are verified first, in order, each against the
    /// manifest's hash and against the end of the one before it, then LIST
    /// (if given) as their continuation.
    #[command(after_help = EXIT_CODES)]
    Verify {
        /// Binary measurement list (as binary_runtime_measurements).
        #[arg(value_name = "LIST", required_unless_present = "archive")]
        list: Option<PathBuf>,
        /// An archive directory written by `arbor log archive`.
        #[arg(long, value_name = "DIR")]
        archive: Option<PathBuf>,
        /// Expected PCR values of one bank, `sha1,FILE` or `sha256,FILE`,
        /// in evmctl's format (lines `PCR-NN: HEX` from PCR-00 in order).
        #[arg(long, value_name = "ALG,FILE", value_parser = parse_pcrs_arg)]
        pcrs: Vec<(Bank, PathBuf)>,
        /// Compare with the local TPM's PCRs read from sysfs.
        #[arg(long)]
        tpm: bool,
        /// TPM sysfs directory used by --tpm.
        #[arg(long, value_name = "DIR", default_value = "/sys/class/tpm/tpm0")]
        tpm_dir: PathBuf,
        /// Certificate (PEM or DER) to check entry signatures with; repeatable.
        #[arg(long, value_name = "CERT")]
        cert: Vec<PathBuf>,
    },
    /// Save the list up to a new checkpoint, then drop it from the kernel.
    ///
    /// Appends a checkpoint, saves the entries the kernel holds before it
    /// as the archive's next segment (DIR/segment-NNNNNN.bin, listed in
    /// DIR/manifest), checks that they verify and replay to the values the
    /// checkpoint records, and only then asks the kernel to drop them
    /// (trim). A run that stopped between saving and trimming is finished
    /// by the next one. Needs CAP_MAC_ADMIN.
    #[command(after_help = EXIT_CODES)]
    Archive {
        /// Archive directory (created if missing).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// arbor's securityfs directory.
        #[arg(long, value_name = "DIR", default_value = "/sys/kernel/security/arbor")]
        securityfs: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Alg {
    Sha256,
    Sha512,
}

impl From<Alg> for HashAlgorithm {
    fn from(a: Alg) -> Self {
        match a {
            Alg::Sha256 => HashAlgorithm::Sha256,
            Alg::Sha512 => HashAlgorithm::Sha512,
        }
    }
}

fn parse_pcrs_arg(s: &str) -> Result<(Bank, PathBuf), String> {
    let (alg, file) = s
        .split_once(',')
        .ok_or("expected ALG,FILE, as sha1,pcrs.txt")?;
    let bank =
        Bank::from_name(alg).ok_or_else(|| format!("unknown PCR bank {alg:?} (sha1 or sha256)"))?;
    Ok((bank, PathBuf::from(file)))
}

fn setup(tree: &TreeArgs) -> Result<merkle::Params> {
    if let Some(n) = tree.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global()
            .context("cannot start the hashing threads")?;
    }
    let salt = match &tree.salt {
        Some(s) => digest::parse_salt(s)?,
        None => Vec::new(),
    };
    digest::params(tree.hash_alg.into(), tree.block_size, &salt)
}

fn cmd_digest(args: &DigestArgs) -> Result<()> {
    let params = setup(&args.tree)?;
    for file in &args.files {
        let d = digest::digest_file(file, &params, true)?;
        let text = if args.for_builtin_sig {
            let mut buf = [0u8; 12 + merkle::MAX_DIGEST_SIZE];
            let n = merkle::formatted_digest(params.alg(), &d.digest, &mut buf);
            hex(buf.get(..n).unwrap_or_default())
        } else {
            hex(d.digest.as_bytes())
        };
        let line = if args.compact {
            format!("{text}\n")
        } else if args.for_builtin_sig {
            format!("{text} {}\n", file.display())
        } else {
            format!("{}:{text} {}\n", params.alg().name(), file.display())
        };
        write_stdout(line.as_bytes())?;
    }
    Ok(())
}

/// Writes to standard output; a closed pipe (as `| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to standard output"),
    }
}

fn cmd_sign(args: &SignArgs) -> Result<()> {
    if args.out.is_some() && args.files.len() != 1 {
        anyhow::bail!("--out takes the value of exactly one FILE; use --write for several");
    }
    let params = setup(&args.tree)?;
    let signer = Signer::load(&args.key, &args.cert)?;
    for file in &args.files {
        let d = digest::digest_file(file, &params, true)?;
        let (name, value) = match (args.ima_sigv3, args.user) {
            (true, false) => ("security.ima", signer.ima_sigv3(params.alg(), &d.digest)?),
            (true, true) => ("user.ima", signer.ima_sigv3(params.alg(), &d.digest)?),
            (false, false) => (
                arbor_format::xattr::NAME,
                signer.arbor_xattr(&params, &d.digest)?,
            ),
            (false, true) => (
                arbor_format::xattr::USER_NAME,
                signer.arbor_xattr(&params, &d.digest)?,
            ),
        };
        if let Some(out) = &args.out {
            std::fs::write(out, &value)
                .with_context(|| format!("{}: cannot write", out.display()))?;
        }
        if args.write {
            xattr::set(file, name, &value)
                .with_context(|| format!("{}: cannot set {name}", file.display()))?;
        }
    }
    Ok(())
}

fn cmd_log(cmd: &LogCommand) -> Result<()> {
    match cmd {
        LogCommand::Show { list, json } => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            log::show(list, *json, &mut out)
        }
        LogCommand::Archive { dir, securityfs } => {
            let a = arbor_cli::archive::archive(dir, securityfs)?;
            let text = match (&a.saved, a.trimmed_to) {
                (Some(s), _) => format!(
                    "{}: saved entries {}..{}; the kernel now holds from entry {}\n",
                    dir.join(&s.name).display(),
                    s.first,
                    s.end,
                    s.end
                ),
                (None, Some(t)) => format!(
                    "{}: nothing new to save; finished an earlier trim to entry {t}\n",
                    dir.display()
                ),
                (None, None) => format!("{}: nothing new to save\n", dir.display()),
            };
            write_stdout(text.as_bytes())
        }
        LogCommand::Verify {
            list,
            archive,
            pcrs,
            tpm,
            tpm_dir,
            cert,
        } => {
            let mut sources: Vec<PcrSource> = pcrs
                .iter()
                .map(|(b, p)| PcrSource::File(*b, p.clone()))
                .collect();
            if *tpm {
                sources.push(PcrSource::Tpm(tpm_dir.clone()));
            }
            let opts = VerifyOptions {
                pcrs: sources,
                certs: cert.clone(),
            };
            let mut text = String::new();
            let (s, list) = match archive {
                Some(dir) => {
                    let chain = arbor_cli::archive::verify_chain(dir, list.as_deref(), &opts)?;
                    for seg in &chain.segments {
                        text.push_str(&format!(
                            "{}: OK: entries {}..{}, {} violations, {} checkpoints\n",
                            seg.path.display(),
                            seg.first,
                            seg.first + seg.entries,
                            seg.violations,
                            seg.checkpoints
                        ));
                    }
                    match (chain.live, list) {
                        (Some(s), Some(l)) => (s, l),
                        _ => return write_stdout(text.as_bytes()),
                    }
                }
                None => {
                    let Some(l) = list else {
                        bail!("no list to verify");
                    };
                    (log::verify(l, &opts)?, l)
                }
            };
            if s.first_index > 0 {
                text.push_str(&format!(
                    "{}: starts at entry {}, a checkpoint: replayed from the values it records\n",
                    list.display(),
                    s.first_index
                ));
            }
            text.push_str(&format!(
                "{}: OK: {} entries, {} violations, {} signatures verified, {} with unknown keys\n",
                list.display(),
                s.entries,
                s.violations,
                s.good_sigs,
                s.unknown_key_sigs
            ));
            for (bank, pcrs) in &s.pcrs {
                for (pcr, value) in pcrs {
                    text.push_str(&format!("{}: PCR {pcr}: {}\n", bank.name(), hex(value)));
                }
            }
            write_stdout(text.as_bytes())?;
            for note in &s.notes {
                let _ = writeln!(std::io::stderr(), "arbor: note: {note}");
            }
            Ok(())
        }
    }
}

/// Parses the policy in `file` as the kernel does; returns its text and
/// its canonical form.
fn check_policy(file: &std::path::Path) -> Result<(Vec<u8>, String)> {
    use arbor_format::policy::{self, Action, Rule};
    let text = std::fs::read(file).with_context(|| format!("{}: cannot read", file.display()))?;
    let summary = policy::validate(&text).map_err(|e| {
        anyhow::Error::new(Failure(format!(
            "{}:{}:{}: {}",
            file.display(),
            e.line,
            e.column,
            e.kind
        )))
    })?;
    let mut rules = vec![Rule::new(Action::Measure); summary.rules];
    let parsed = policy::parse(&text, &mut rules)
        .map_err(|e| anyhow::anyhow!("{}: validate and parse disagree: {e}", file.display()))?;
    struct Out(String);
    impl arbor_format::template::Sink for Out {
        type Error = std::convert::Infallible;
        fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
            self.0.push_str(&String::from_utf8_lossy(bytes));
            Ok(())
        }
    }
    let mut out = Out(String::new());
    let Ok(()) = policy::render(&parsed, &mut out);
    Ok((text, out.0))
}

fn cmd_policy(c: &PolicyCommand) -> Result<()> {
    match c {
        PolicyCommand::Check { file } => {
            let (_, canonical) = check_policy(file)?;
            write_stdout(canonical.as_bytes())
        }
        PolicyCommand::Default => write_stdout(arbor_format::policy::DEFAULT.as_bytes()),
        PolicyCommand::Sign {
            file,
            key,
            cert,
            out,
        } => {
            let (text, _) = check_policy(file)?;
            let signer = Signer::load(key, cert)?;
            let der = signer.policy_pkcs7(&text)?;
            std::fs::write(out, der).with_context(|| format!("{}: cannot write", out.display()))
        }
    }
}

fn cmd_keylime_policy(args: &KeylimeArgs) -> Result<()> {
    let files = keylime::collect(&args.paths, args.root.as_deref())?;
    let policy = keylime::runtime_policy(&files, &args.exclude)?;
    let mut text = serde_json::to_vec_pretty(&policy).context("cannot encode the policy")?;
    text.push(b'\n');
    match &args.out {
        Some(out) => {
            std::fs::write(out, text).with_context(|| format!("{}: cannot write", out.display()))
        }
        None => write_stdout(&text),
    }
}

fn cmd_digest_list(c: &DigestListCommand) -> Result<()> {
    let read_file = |p: &PathBuf| std::fs::read(p).with_context(|| format!("{}", p.display()));
    match c {
        DigestListCommand::Build {
            paths,
            deb,
            revoke,
            tree,
            out,
        } => {
            let params = setup(tree)?;
            let files = arbor_cli::regular_files(paths)?;
            let mut digests = digest_list::digests_of(&files, &params)?;
            for package in deb {
                digests.extend(digest_list::deb_digests(package, &params)?);
            }
            let kind = if *revoke { Kind::Revoke } else { Kind::Allow };
            let list = digest_list::encode(kind, &params, digests)?;
            std::fs::write(out, list).with_context(|| format!("{}: cannot write", out.display()))
        }
        DigestListCommand::Sign {
            list,
            key,
            cert,
            out,
        } => {
            let signer = Signer::load(key, cert)?;
            let signed = digest_list::sign(&read_file(list)?, &signer)
                .with_context(|| format!("{}", list.display()))?;
            std::fs::write(out, signed).with_context(|| format!("{}: cannot write", out.display()))
        }
        DigestListCommand::Show { list, json } => {
            let bytes = read_file(list)?;
            let r = digest_list::read(&bytes).with_context(|| format!("{}", list.display()))?;
            if *json {
                let mut text =
                    serde_json::to_vec(&digest_list::show_json(&r)).context("cannot encode")?;
                text.push(b'\n');
                write_stdout(&text)
            } else {
                let mut text = Vec::new();
                digest_list::show_text(&r, &mut text)?;
                write_stdout(&text)
            }
        }
        DigestListCommand::Pcr {
            lists,
            dir,
            boot_aggregate,
            template,
            pcr,
        } => {
            let template = arbor_format::policy::measurement_template(template.as_bytes())
                .with_context(|| format!("unknown template {template}"))?;
            let (alg, value) = match boot_aggregate {
                Some(s) => {
                    let (alg, hex) = s
                        .split_once(':')
                        .context("--boot-aggregate takes ALG:HEX")?;
                    let size = match alg {
                        "sha1" => 20,
                        "sha256" => 32,
                        _ => anyhow::bail!("boot_aggregate algorithm {alg}: sha1 or sha256"),
                    };
                    let value = digest::parse_hex_exact(hex, size)?;
                    (alg.to_owned(), value)
                }
                None => ("sha256".to_owned(), vec![0u8; 32]),
            };
            let loads: Vec<digest_list::Load> = lists
                .iter()
                .map(|f| {
                    let name = f
                        .file_name()
                        .and_then(|n| n.to_str())
                        .with_context(|| format!("{}: no UTF-8 file name", f.display()))?;
                    Ok(digest_list::Load {
                        file: f.clone(),
                        path: format!("{}/{name}", dir.trim_end_matches('/')),
                    })
                })
                .collect::<Result<_>>()?;
            let p = digest_list::predict_pcr((&alg, &value), &loads, template)?;
            write_stdout(
                format!(
                    "sha1 PCR-{pcr:02}: {}\nsha256 PCR-{pcr:02}: {}\n",
                    hex(&p.sha1),
                    hex(&p.sha256)
                )
                .as_bytes(),
            )
        }
        DigestListCommand::Verify { list, cert } => {
            let bytes = read_file(list)?;
            let r = digest_list::read(&bytes).with_context(|| format!("{}", list.display()))?;
            digest_list::verify(&r, cert).with_context(|| format!("{}", list.display()))?;
            write_stdout(
                format!(
                    "{}: good signature; {} list of {} digests\n",
                    list.display(),
                    r.list.header.kind.name(),
                    r.list.header.count
                )
                .as_bytes(),
            )
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match &cli.command {
        Command::Digest(a) => cmd_digest(a),
        Command::Sign(a) => cmd_sign(a),
        Command::Log(c) => cmd_log(c),
        Command::Policy(c) => cmd_policy(c),
        Command::KeylimePolicy(a) => cmd_keylime_policy(a),
        Command::DigestList(c) => cmd_digest_list(c),
    };
    match r {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "arbor: {e:#}");
            ExitCode::from(if e.downcast_ref::<Failure>().is_some() {
                EXIT_FAILURE
            } else {
                EXIT_ERROR
            })
        }
    }
}
