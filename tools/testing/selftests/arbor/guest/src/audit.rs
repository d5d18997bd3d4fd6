// SPDX-License-Identifier: GPL-2.0
//! `audit-run OUT CMD [ARG...]`: collect the kernel's audit records while a
//! command runs, as an audit daemon would.
//!
//! The helper registers itself as the audit daemon (`AUDIT_SET` with its
//! pid), runs the command, then sends a user message (`AUDIT_USER`) as a
//! marker. The kernel queues records in order, so once the marker comes
//! back every record the command caused has been received: no timing is
//! involved. Records go to OUT as `type=N TEXT` lines; the helper then
//! unregisters, turns auditing back off and exits with the command's
//! status.

use std::io::Write as _;
use std::process::exit;

const NETLINK_AUDIT: libc::c_int = 9;
const AUDIT_SET: u16 = 1001;
const AUDIT_USER: u16 = 1005;
const AUDIT_STATUS_ENABLED: u32 = 1;
const AUDIT_STATUS_PID: u32 = 4;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const NLMSG_HDRLEN: usize = 16;

fn die(what: &str) -> ! {
    eprintln!(
        "arbor-guest audit-run: {what}: {}",
        std::io::Error::last_os_error()
    );
    exit(125)
}

struct Socket(libc::c_int);

impl Socket {
    fn open() -> Self {
        // SAFETY: plain socket(2) call.
        let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW, NETLINK_AUDIT) };
        if fd < 0 {
            die("socket");
        }
        let timeout = libc::timeval {
            tv_sec: 0,
            tv_usec: 200_000,
        };
        // SAFETY: `timeout` is a valid timeval for the given length.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&timeout as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as u32,
            )
        };
        if r != 0 {
            die("setsockopt");
        }
        Socket(fd)
    }

    fn send(&self, kind: u16, payload: &[u8]) {
        let len = NLMSG_HDRLEN + payload.len();
        let mut msg = Vec::with_capacity(len);
        msg.extend_from_slice(&(len as u32).to_ne_bytes());
        msg.extend_from_slice(&kind.to_ne_bytes());
        msg.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
        msg.extend_from_slice(&1u32.to_ne_bytes()); // sequence
        msg.extend_from_slice(&0u32.to_ne_bytes()); // port: the kernel fills it
        msg.extend_from_slice(payload);
        // SAFETY: an all-zero sockaddr_nl is valid; it addresses the kernel.
        let mut to: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        to.nl_family = libc::AF_NETLINK as u16;
        // SAFETY: `msg` and `to` are valid for the given lengths.
        let n = unsafe {
            libc::sendto(
                self.0,
                msg.as_ptr().cast(),
                msg.len(),
                0,
                (&to as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as u32,
            )
        };
        if n < 0 {
            die("sendto");
        }
    }

    /// Receives one datagram, which may hold several messages; `None`
    /// when none came within the receive timeout (200 ms).
    fn try_recv(&self, buf: &mut [u8]) -> Option<usize> {
        loop {
            // SAFETY: `buf` is writable for its length.
            let n = unsafe { libc::recv(self.0, buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n >= 0 {
                return Some(n as usize);
            }
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) => return None,
                _ => die("recv"),
            }
        }
    }

    /// Receives one datagram; exits after 60 s without one.
    fn recv(&self, buf: &mut [u8]) -> usize {
        for _ in 0..300 {
            if let Some(n) = self.try_recv(buf) {
                return n;
            }
        }
        eprintln!("arbor-guest audit-run: no answer from the kernel");
        exit(125)
    }
}

/// An `audit_status` payload setting `mask` fields.
fn status(mask: u32, enabled: u32, pid: u32) -> Vec<u8> {
    let mut s = Vec::new();
    for v in [mask, enabled, 0, pid] {
        s.extend_from_slice(&v.to_ne_bytes());
    }
    s
}

/// Calls `f` for each (type, payload) in one datagram.
fn messages(buf: &[u8], mut f: impl FnMut(u16, &[u8])) {
    let mut off = 0;
    while off + NLMSG_HDRLEN <= buf.len() {
        let len = u32::from_ne_bytes(buf[off..off + 4].try_into().unwrap()) as usize;
        let kind = u16::from_ne_bytes(buf[off + 4..off + 6].try_into().unwrap());
        if kind != NLMSG_ERROR {
            // An audit record: one per datagram, and its nlmsg_len leaves
            // out the header (a quirk audit daemons live with).
            f(kind, &buf[off + NLMSG_HDRLEN..]);
            break;
        }
        if len < NLMSG_HDRLEN || off + len > buf.len() {
            break;
        }
        f(kind, &buf[off + NLMSG_HDRLEN..off + len]);
        off += (len + 3) & !3;
    }
}

/// Waits for the kernel's answer to a request; exits if it is an error.
fn expect_ack(sock: &Socket, what: &str) {
    let mut buf = vec![0u8; 65536];
    let n = sock.recv(&mut buf);
    let mut err = 0i32;
    messages(&buf[..n], |kind, payload| {
        if kind == NLMSG_ERROR && payload.len() >= 4 {
            err = i32::from_ne_bytes(payload[..4].try_into().unwrap());
        }
    });
    if err != 0 {
        eprintln!("arbor-guest audit-run: {what}: error {}", -err);
        exit(125)
    }
}

pub fn audit_run(args: &[std::ffi::OsString]) -> ! {
    let [out, cmd, rest @ ..] = args else {
        eprintln!("usage: arbor-guest audit-run OUT CMD [ARG...]");
        exit(2)
    };
    let mut out = std::fs::File::create(out).unwrap_or_else(|_| die("create OUT"));
    let sock = Socket::open();
    let pid = std::process::id();
    sock.send(
        AUDIT_SET,
        &status(AUDIT_STATUS_ENABLED | AUDIT_STATUS_PID, 1, pid),
    );
    expect_ack(&sock, "register as audit daemon");

    // Records are read while the command runs (the kernel's sender blocks
    // on a full socket, and the command's records would then wait for
    // it). The guest kernel has no futexes, so no threads: the receive
    // timeout doubles as the moment to check whether the command is done.
    let marker = format!("arbor-audit-marker-{pid}");
    let mut child = match std::process::Command::new(cmd).args(rest).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("arbor-guest audit-run: {}: {e}", cmd.to_string_lossy());
            exit(127)
        }
    };
    let mut code = None;
    let mut idle_after_marker = 0;
    let mut buf = vec![0u8; 65536];
    let mut done = false;
    while !done {
        if code.is_none() {
            if let Ok(Some(status)) = child.try_wait() {
                code = Some(status.code().unwrap_or(128));
                // NUL-terminated: the kernel drops the message's last byte.
                let mut text = marker.clone().into_bytes();
                text.push(0);
                sock.send(AUDIT_USER, &text);
            }
        }
        let Some(n) = sock.try_recv(&mut buf) else {
            if code.is_some() {
                idle_after_marker += 1;
                if idle_after_marker > 300 {
                    eprintln!("arbor-guest audit-run: the end marker did not come back");
                    exit(125)
                }
            }
            continue;
        };
        messages(&buf[..n], |kind, payload| {
            if kind == NLMSG_ERROR {
                return;
            }
            let end = payload
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(payload.len());
            let text = String::from_utf8_lossy(&payload[..end]);
            if kind == AUDIT_USER && text.contains(&marker) {
                done = true;
                return;
            }
            let _ = writeln!(out, "type={kind} {text}");
        });
    }
    let code = code.unwrap_or(128);
    sock.send(
        AUDIT_SET,
        &status(AUDIT_STATUS_ENABLED | AUDIT_STATUS_PID, 0, 0),
    );
    exit(code)
}
