//! Running a test of the current test binary again inside a network namespace of its
//! own, so that browsers and peers it starts can reach nothing outside: `unshare -n`, `lo`
//! up, and optionally a veth pair whose first end holds an RFC 5737 address and the
//! default route (browsers gather host candidates only on an interface with a route; what
//! would leave by it ends at the pair's other end, inside the namespace).

use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

/// Set in the re-executed test inside its namespace.
const INSIDE: &str = "RTCWEB_TEST_NETNS";

/// The address [`run_in_namespace`] gives the veth interface when asked for one: from
/// TEST-NET-3 (RFC 5737), and only inside the namespace.
pub const VETH_ADDRESS: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 7);

/// Held while a test runs in its namespace (see [`run_in_namespace`]).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Whether this process is the re-executed test inside its namespace.
pub fn inside_namespace() -> bool {
    std::env::var_os(INSIDE).is_some()
}

/// Runs the test `name` again in a new network namespace holding `lo` (and, with `veth`,
/// a veth pair with [`VETH_ADDRESS`]/24 on `veth0` and the default route through it).
/// Returns true when it did (and it passed; a failure inside is a panic here); false when
/// the caller should run the test itself: it is the re-executed one, or namespaces are not
/// available here (said on stdout). The tests of one binary that call it run one after
/// another.
pub fn run_in_namespace(name: &str, veth: bool) -> bool {
    if inside_namespace() {
        // /proc/net is the namespace's own (/sys/class/net is the mount's).
        let mut interfaces: Vec<String> = std::fs::read_to_string("/proc/net/dev")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim().to_owned()))
            .collect();
        interfaces.sort();
        if veth {
            assert_eq!(interfaces, ["lo", "veth0", "veth1"], "lo and a veth pair");
            println!("{name}: in a network namespace of its own with veth0 at {VETH_ADDRESS}");
        } else {
            assert_eq!(interfaces, ["lo"], "the namespace holds only lo");
            println!("{name}: in a network namespace holding only lo");
        }
        return false;
    }
    let works = Command::new("unshare")
        .args(["-n", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        println!("{name}: `unshare -n` is not permitted here: running on the host's network");
        return false;
    }
    // One re-run at a time in a test binary: two browsers encoding and decoding video at
    // once on a two-core CI machine starve each other, and Chromium counts the stall as a
    // frozen frame that rtcweb did not cause.
    let _one_at_a_time = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let exe = std::env::current_exe().expect("the test binary's path");
    let setup = if veth {
        format!(
            "ip link set lo up && ip link add veth0 type veth peer name veth1 && \
             ip addr add {VETH_ADDRESS}/24 dev veth0 && ip link set veth1 up && \
             ip link set veth0 up && ip route add 224.0.0.0/4 dev veth0 && \
             ip route add default dev veth0 && exec \"$0\" \"$@\""
        )
    } else {
        "ip link set lo up && exec \"$0\" \"$@\"".to_owned()
    };
    let status = Command::new("unshare")
        .args(["-n", "--", "sh", "-c", &setup])
        .arg(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .status()
        .expect("unshare runs");
    assert!(
        status.success(),
        "{name} failed in its network namespace: {status}"
    );
    true
}
