// SPDX-License-Identifier: GPL-2.0
//! Initialisation: the mode at LSM registration, then the policy, the
//! measurement list and the securityfs files at late_initcall time.

use crate::format::checkpoint;
use crate::format::gate::parse_memory_kib;
use crate::format::policy::measurement_template;
use crate::{digest_lists, gate, list, measure, mode, policy, securityfs, Arbor, ARBOR};
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::init::InPlaceInit;
use kernel::prelude::*;

/// Called once the LSM framework has installed arbor's hooks, with the
/// kernel command line.
pub(crate) fn registered(cmdline: &[u8]) {
    match mode::boot_param(cmdline, b"arbor.lockdown=").map(mode::parse_flag) {
        Some(Some(true)) => {
            mode::lock();
        }
        Some(Some(false)) | None => {}
        Some(None) => pr_err!("arbor.lockdown= takes 0 or 1; ignored\n"),
    }
    if let Some(value) = mode::boot_param(cmdline, b"arbor.enforce=") {
        match mode::parse_flag(value).map(mode::set_enforcing) {
            Some(Ok(())) => {}
            Some(Err(_)) => pr_err!("arbor.enforce=0 ignored: arbor is locked in enforcing mode\n"),
            None => pr_err!("arbor.enforce= takes 0 or 1; keeping the default\n"),
        }
    }
    if let Some(value) = mode::boot_param(cmdline, b"arbor.template=") {
        match measurement_template(value).map(measure::set_default_template) {
            Some(Ok(())) => {}
            _ => pr_err!(
                "arbor.template= takes ima-ng, ima-sig, ima-ngv2 or ima-sigv2; keeping {}\n",
                measure::default_template().name()
            ),
        }
    }
    if let Some(value) = mode::boot_param(cmdline, b"arbor.predictable_pcr=") {
        match mode::parse_flag(value) {
            Some(on) => digest_lists::set_predictable_pcr(on),
            None => pr_err!(
                "arbor.predictable_pcr= takes 0 or 1; keeping {}\n",
                u8::from(digest_lists::predictable_pcr())
            ),
        }
    }
    if let Some(value) = mode::boot_param(cmdline, b"arbor.checkpoint_interval=") {
        match checkpoint::parse_interval(value) {
            Some(n) => list::set_checkpoint_interval(n),
            None => pr_err!(
                "arbor.checkpoint_interval= takes a number of entries (0 for none); keeping {}\n",
                list::checkpoint_interval()
            ),
        }
    }
    if let Some(value) = mode::boot_param(cmdline, b"arbor.page_check_memory=") {
        match parse_memory_kib(value) {
            Some(kib) => gate::set_memory_limit(kib),
            None => pr_err!(
                "arbor.page_check_memory= takes a number of KiB up to 4194304; keeping {}\n",
                gate::memory_limit_kib()
            ),
        }
    }
    pr_info!(
        "initialized: {} mode{}, measurements name PCR {}, template {}\n",
        mode::name(mode::enforcing()),
        if mode::locked() { " (locked)" } else { "" },
        measure::PCR,
        measure::default_template().name()
    );
}

/// Sets up the crypto transforms, the list and the securityfs files.
pub(crate) fn late_init() -> Result {
    policy::init().inspect_err(|e| {
        pr_err!(
            "cannot set up the default policy (error {})\n",
            e.to_errno()
        )
    })?;
    let arbor = KBox::pin_init(Arbor::new(), GFP_KERNEL).inspect_err(|e| {
        pr_err!(
            "cannot set up the measurement list (error {})\n",
            e.to_errno()
        );
    })?;
    // The first entry, before any hook can see the list.
    measure::boot_aggregate(&arbor).inspect_err(|e| {
        pr_err!("cannot record boot_aggregate (error {})\n", e.to_errno());
    })?;
    pr_info!(
        "measurement list ready; {}\n",
        if arbor.tpm.is_some() {
            "extending a TPM"
        } else {
            "no TPM: software PCR values only"
        }
    );
    ARBOR.set(arbor)?;
    securityfs::create()
        .inspect_err(|e| pr_err!("cannot create securityfs files (error {})\n", e.to_errno()))?;
    if let Some(arbor) = ARBOR.get() {
        digest_lists::load_boot_lists(arbor);
    }
    Ok(())
}
