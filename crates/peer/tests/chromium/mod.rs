//! Headless Chromium (Debian's `/usr/bin/chromium`, never a download) driven over the
//! DevTools protocol: a small blocking CDP client over one WebSocket, with flattened
//! sessions (one per page). Also: whether the test may run here, and a fresh network
//! namespace holding only `lo` to run it in.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Set in the re-executed test inside its network namespace.
const INSIDE_NAMESPACE: &str = "RTCWEB_TEST_NETNS";

/// True when the test can run: Chromium is installed. Without it the test is skipped
/// with a message, except under CI (`CI` set), where `cargo xtask test` installs it and
/// its absence is a failure.
pub fn available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{CHROMIUM} is missing under CI: `cargo xtask test` installs Debian's chromium"
    );
    println!(
        "SKIPPED: {CHROMIUM} is not installed (`cargo xtask test` installs Debian's chromium)"
    );
    false
}

/// Runs the test `name` again, in a new network namespace whose only interface is `lo`
/// (`unshare -n`, then `ip link set lo up`), so that nothing leaves the machine. Returns
/// true when it did (and it passed); false when the caller should run the test itself:
/// it is the re-executed one, or namespaces are not available here (said on stdout).
pub fn run_in_network_namespace(name: &str) -> bool {
    run_in_namespace(name, false)
}

/// The address of the veth interface of [`run_in_network_namespace_with_dummy`].
pub const DUMMY_ADDRESS: &str = "10.77.0.1";

/// As [`run_in_network_namespace`], with a veth pair in the namespace (`veth0` holding
/// [`DUMMY_ADDRESS`]/24, `veth1` its other end, both up; this kernel has no dummy
/// interfaces), and the default route through `veth0` (Chromium gathers only on the
/// interface of the default route; what would leave by it ends at `veth1`, inside the
/// namespace). Chromium gathers (and obfuscates with mDNS) a host candidate there, which
/// it does not do on `lo`; the address exists only in the namespace.
pub fn run_in_network_namespace_with_dummy(name: &str) -> bool {
    run_in_namespace(name, true)
}

fn run_in_namespace(name: &str, dummy: bool) -> bool {
    if std::env::var_os(INSIDE_NAMESPACE).is_some() {
        // /proc/net is the namespace's own (/sys/class/net is the mount's).
        let mut interfaces: Vec<String> = std::fs::read_to_string("/proc/net/dev")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim().to_owned()))
            .collect();
        interfaces.sort();
        if dummy {
            assert_eq!(interfaces, ["lo", "veth0", "veth1"], "lo and a veth pair");
            println!("{name}: in a network namespace holding lo and veth0 ({DUMMY_ADDRESS})");
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
        println!("{name}: `unshare -n` is not permitted here: running on the host's loopback");
        return false;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let setup = if dummy {
        format!(
            "ip link set lo up && ip link add veth0 type veth peer name veth1 && \
             ip addr add {DUMMY_ADDRESS}/24 dev veth0 && ip link set veth1 up && \
             ip link set veth0 up && ip route add 224.0.0.0/4 dev veth0 && \
             ip route add default dev veth0 && \
             exec \"$0\" \"$@\""
        )
    } else {
        "ip link set lo up && exec \"$0\" \"$@\"".to_owned()
    };
    let status = Command::new("unshare")
        .args(["-n", "--", "sh", "-c", &setup])
        .arg(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE_NAMESPACE, "1")
        .status()
        .expect("unshare runs");
    assert!(
        status.success(),
        "{name} failed in its network namespace: {status}"
    );
    true
}

/// A headless Chromium with a fresh profile, and the DevTools WebSocket to it. Dropping
/// it closes the browser and removes the profile.
pub struct Chromium {
    child: Child,
    profile: PathBuf,
    ws: WebSocket<TcpStream>,
    next_id: u64,
}

/// The flags that work on this kind of machine (as root, no GPU, no outside network).
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--remote-debugging-port=0",
];

impl Chromium {
    /// Starts Chromium and connects to its DevTools endpoint.
    pub fn launch() -> Self {
        Self::launch_with_mdns(false)
    }

    /// Starts Chromium; with `mdns`, host candidates are obfuscated as `<uuid>.local`
    /// names, as browsers do by default.
    pub fn launch_with_mdns(mdns: bool) -> Self {
        let profile = std::env::temp_dir().join(format!(
            "rtcweb-chromium-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&profile).expect("profile directory");
        let mut child = Command::new(CHROMIUM)
            .args(FLAGS)
            .args(
                // Host candidates with their IP, not an mDNS name, unless mDNS is the point.
                (!mdns).then_some("--disable-features=WebRtcHideLocalIpsWithMdns"),
            )
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        // Chromium prints its DevTools URL on stderr; the rest is drained so that it never
        // blocks on a full pipe.
        let stderr = child.stderr.take().expect("piped stderr");
        let (url_tx, url_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = url_tx.send(url.trim().to_owned());
                } else if std::env::var_os("RTCWEB_CHROMIUM_LOG").is_some() {
                    eprintln!("chromium: {line}");
                }
            }
        });
        let url = match url_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium printed no DevTools URL in 30 s");
            }
        };
        let host = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .expect("a ws:// URL");
        let stream = TcpStream::connect(host).expect("DevTools port");
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .expect("read timeout");
        let (ws, _) = tungstenite::client(url.as_str(), stream).expect("WebSocket handshake");
        Self {
            child,
            profile,
            ws,
            next_id: 1,
        }
    }

    /// One CDP call (to the browser, or to a page's session); the result, or the
    /// protocol's error as a panic.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut request = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            request["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(request.to_string()))
            .expect("CDP send");
        loop {
            let message = self.ws.read().expect("CDP read");
            let Message::Text(text) = message else {
                continue;
            };
            let value: Value = serde_json::from_str(text.as_str()).expect("CDP sends JSON");
            if value["id"].as_u64() != Some(id) {
                // An event, or an answer to nobody.
                continue;
            }
            if let Some(error) = value.get("error") {
                panic!("CDP {method} failed: {error}");
            }
            return value["result"].clone();
        }
    }

    /// Chromium's product string (`Chrome/156...`).
    pub fn version(&mut self) -> String {
        self.call(None, "Browser.getVersion", json!({}))["product"]
            .as_str()
            .unwrap_or("unknown")
            .to_owned()
    }

    /// A new blank page; its session id.
    pub fn new_page(&mut self) -> String {
        self.open("about:blank")
    }

    /// A new page at `url`, once loaded; its session id.
    pub fn new_page_at(&mut self, url: &str) -> String {
        let page = self.open(url);
        let deadline = Instant::now() + Duration::from_secs(20);
        // The initial about:blank document is complete too: wait for ours.
        let loaded = format!("location.href === {} && document.readyState", json!(url));
        while self.evaluate(&page, &loaded) != json!("complete") {
            assert!(Instant::now() < deadline, "{url} did not load");
            std::thread::sleep(Duration::from_millis(20));
        }
        page
    }

    fn open(&mut self, url: &str) -> String {
        let target = self.call(None, "Target.createTarget", json!({ "url": url }));
        let target_id = target["targetId"].as_str().expect("a target id").to_owned();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        );
        attached["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned()
    }

    /// Evaluates JavaScript in a page, awaiting a promise result; the value as JSON (`null`
    /// for `undefined`). A thrown exception is a panic with its description.
    pub fn evaluate(&mut self, page: &str, expression: &str) -> Value {
        let result = self.call(
            Some(page),
            "Runtime.evaluate",
            json!({
                "expression": expression,
                "awaitPromise": true,
                "returnByValue": true,
            }),
        );
        if let Some(details) = result.get("exceptionDetails") {
            let what = details["exception"]["description"]
                .as_str()
                .or(details["text"].as_str())
                .unwrap_or("?");
            panic!("JavaScript threw: {what}\n  in: {expression:.200}");
        }
        result["result"]["value"].clone()
    }
}

impl Chromium {
    /// One offer/answer between `pc` and the page's `rtc` object (`rtc.offer()`,
    /// `rtc.answer(sdp)`, `rtc.accept(sdp)`: Chromium offers when `chromium_offers`), then
    /// our candidates trickled to `rtc.candidate(candidate, mid)` until gathering completes.
    /// The page gathers before it returns a description, so its candidates travel in it.
    pub fn exchange(
        &mut self,
        page: &str,
        rt: &tokio::runtime::Runtime,
        pc: &rtcweb_peer::driver::PeerConnection,
        chromium_offers: bool,
        seen: &mpsc::Receiver<crate::peer_events::Seen>,
    ) {
        use rtcweb_peer::{Description, SdpType};
        if chromium_offers {
            let offer = self.evaluate(page, "rtc.offer()");
            let offer = offer.as_str().expect("the offer's SDP").to_owned();
            rt.block_on(pc.set_remote_description(&Description {
                kind: SdpType::Offer,
                sdp: offer,
            }))
            .expect("Chromium's offer applies");
            let answer = rt.block_on(pc.create_answer()).expect("an answer");
            rt.block_on(pc.set_local_description(&answer))
                .expect("our answer applies");
            self.evaluate(page, &format!("rtc.accept({})", json!(answer.sdp)));
        } else {
            let offer = rt.block_on(pc.create_offer()).expect("an offer");
            rt.block_on(pc.set_local_description(&offer))
                .expect("our offer applies");
            let answer = self.evaluate(page, &format!("rtc.answer({})", json!(offer.sdp)));
            let answer = answer.as_str().expect("the answer's SDP").to_owned();
            rt.block_on(pc.set_remote_description(&Description {
                kind: SdpType::Answer,
                sdp: answer,
            }))
            .expect("Chromium's answer applies");
        }
        crate::peer_events::trickle(seen, |mid, candidate| {
            self.evaluate(
                page,
                &format!("rtc.candidate({}, {})", json!(candidate), json!(mid)),
            );
        });
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // Ask nicely, then end the process we started.
        let id = self.next_id;
        let _ = self.ws.send(Message::text(
            json!({ "id": id, "method": "Browser.close", "params": {} }).to_string(),
        ));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Serves `html` at `http://127.0.0.1:<port>/` for every GET, from a thread, until the test
/// process ends; the URL. Pages that use `getUserMedia` need such a secure context
/// (`http://127.0.0.1` counts; `about:blank` has no `navigator.mediaDevices`).
pub fn serve_page(html: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let url = format!("http://{}/", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
                if request.len() > 65_536 {
                    break;
                }
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    url
}

/// Differs between runs, for the profile directory's name.
fn unique() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
