//! Whose is the other end of a loopback TCP connection? Every loopback
//! listener alicred opens answers only its own user (docs/security.md,
//! "Listeners"), so each connection's client socket is looked up by its exact
//! 4-tuple and its owner's uid compared with ours.
//!
//! How (Linux): one `NETLINK_SOCK_DIAG` request, `SOCK_DIAG_BY_FAMILY` with
//! an `inet_diag_req_v2` naming the client socket (source = the peer's
//! address, destination = ours) and no dump flag, so the kernel answers from
//! its connection hash table: the cost is one netlink round trip (a few
//! microseconds) whatever the number of sockets on the machine. Where netlink
//! is unavailable (a sandbox that forbids it) `/proc/net/tcp{,6}` is read line
//! by line and the read stops at the matching row.
//!
//! Everything fails closed: no answer, an unexpected answer, a socket in a
//! state that carries no owner (TIME_WAIT), or another OS all mean "not ours".

use std::net::{IpAddr, SocketAddr};

/// The uid the kernel records on sockets this process creates (the effective
/// uid), and so the one our own user's clients carry.
pub fn own_uid() -> u32 {
    #[cfg(unix)]
    {
        rustix::process::geteuid().as_raw()
    }
    #[cfg(not(unix))]
    {
        u32::MAX
    }
}

/// The client socket of a connection: its owner and its inode (the inode
/// names the socket in `/proc/<pid>/fd`, which "used by" attribution needs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerSocket {
    pub uid: u32,
    pub inode: u64,
}

/// Is the connection from `peer` to our `local` (as `accept` returned them)
/// opened by a socket of our own uid? False when unknown.
///
/// Blocking but cheap: one netlink round trip on the calling thread (a few
/// microseconds, independent of how many sockets the machine has), so it may
/// be called from an async task. Only the `/proc/net/tcp` fallback, used when
/// netlink is unavailable, grows with the socket table.
pub fn is_own_user(local: SocketAddr, peer: SocketAddr) -> bool {
    peer_socket(local, peer).is_some_and(|s| s.uid == own_uid())
}

/// The client socket of the loopback connection from `peer` to our `local`,
/// if it exists and belongs to someone. Same cost as [`is_own_user`].
pub fn peer_socket(local: SocketAddr, peer: SocketAddr) -> Option<PeerSocket> {
    let (local, peer) = (canonical(local), canonical(peer));
    if !local.ip().is_loopback() || !peer.ip().is_loopback() {
        return None;
    }
    #[cfg(target_os = "linux")]
    {
        match diag::lookup(peer, local) {
            diag::Answer::Found(s) => Some(s),
            diag::Answer::NoSocket => None,
            diag::Answer::Unavailable => proc_net::connection(peer, local),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// The uid that holds a TCP listener on `addr`'s port where it would clash
/// with binding `addr` (the same address, or a wildcard), if any. Reads
/// `/proc/net/tcp{,6}`: called once, when a bind failed.
pub fn listener_uid(addr: SocketAddr) -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        proc_net::listener(canonical(addr))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = addr;
        None
    }
}

/// An IPv4 peer of a dual-stack listener shows up as `::ffff:a.b.c.d`; the
/// kernel files that connection under IPv4.
fn canonical(a: SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), v6.port()),
            None => a,
        },
        v4 => v4,
    }
}

/// TCP states a live client socket can be in (include/net/tcp_states.h):
/// ESTABLISHED, SYN_SENT, FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK,
/// CLOSING. TIME_WAIT and request sockets report uid 0, which would read as
/// root's, so they never count.
fn live_client_state(state: u8) -> bool {
    matches!(state, 1 | 2 | 4 | 5 | 8 | 9 | 11)
}

/// The 16 address bytes as the kernel stores them (IPv4 in the first 4).
fn addr_bytes(ip: IpAddr) -> [u8; 16] {
    let mut b = [0u8; 16];
    match ip {
        IpAddr::V4(v4) => b[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => b = v6.octets(),
    }
    b
}

#[cfg(target_os = "linux")]
mod diag {
    //! The netlink query. Messages are built and parsed as bytes (no unsafe):
    //! `struct nlmsghdr` + `struct inet_diag_req_v2` out,
    //! `struct nlmsghdr` + `struct inet_diag_msg` (or `NLMSG_ERROR`) back,
    //! layouts from linux/netlink.h and linux/inet_diag.h.

    use super::{PeerSocket, addr_bytes, live_client_state};
    use rustix::fd::OwnedFd;
    use rustix::net::netlink::{SOCK_DIAG, SocketAddrNetlink};
    use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};
    use std::cell::RefCell;
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const NLM_F_REQUEST: u16 = 1;
    const NLMSG_ERROR: u16 = 2;
    const NLMSG_HDRLEN: usize = 16;
    const REQ_LEN: usize = NLMSG_HDRLEN + 56;
    const AF_INET: u8 = 2;
    const AF_INET6: u8 = 10;
    const IPPROTO_TCP: u8 = 6;
    /// `ENOENT`: the kernel has no such socket.
    const ENOENT: i32 = 2;
    /// The kernel answers during our send; this only bounds a broken socket.
    const RECV_TIMEOUT: Duration = Duration::from_millis(250);

    pub enum Answer {
        Found(PeerSocket),
        /// The kernel says there is no such socket (or it has no owner).
        NoSocket,
        /// Netlink could not be used: try another way.
        Unavailable,
    }

    static SEQ: AtomicU32 = AtomicU32::new(1);

    thread_local! {
        /// One netlink socket per thread, opened on first use: saves two
        /// syscalls per query. Dropped (and reopened) after any error.
        static SOCK: RefCell<Option<OwnedFd>> = const { RefCell::new(None) };
    }

    fn open() -> rustix::io::Result<OwnedFd> {
        let fd = rustix::net::socket_with(
            AddressFamily::NETLINK,
            SocketType::DGRAM,
            SocketFlags::CLOEXEC,
            Some(SOCK_DIAG),
        )?;
        rustix::net::sockopt::set_socket_timeout(
            &fd,
            rustix::net::sockopt::Timeout::Recv,
            Some(RECV_TIMEOUT),
        )?;
        Ok(fd)
    }

    /// The socket whose own address is `src` and whose remote is `dst`.
    pub fn lookup(src: SocketAddr, dst: SocketAddr) -> Answer {
        SOCK.with(|cell| {
            let Ok(mut slot) = cell.try_borrow_mut() else {
                return Answer::Unavailable;
            };
            if slot.is_none() {
                match open() {
                    Ok(fd) => *slot = Some(fd),
                    Err(_) => return Answer::Unavailable,
                }
            }
            let Some(fd) = slot.as_ref() else {
                return Answer::Unavailable;
            };
            let answer = query(fd, src, dst);
            if matches!(answer, Answer::Unavailable) {
                *slot = None;
            }
            answer
        })
    }

    pub fn request(seq: u32, src: SocketAddr, dst: SocketAddr) -> [u8; REQ_LEN] {
        let mut m = [0u8; REQ_LEN];
        m[0..4].copy_from_slice(&(REQ_LEN as u32).to_ne_bytes());
        m[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        m[6..8].copy_from_slice(&NLM_F_REQUEST.to_ne_bytes());
        m[8..12].copy_from_slice(&seq.to_ne_bytes());
        // nlmsg_pid 0: to the kernel.
        let r = &mut m[NLMSG_HDRLEN..];
        r[0] = if src.is_ipv4() { AF_INET } else { AF_INET6 };
        r[1] = IPPROTO_TCP;
        // idiag_ext 0, pad 0; idiag_states: any (the answer's state is checked).
        r[4..8].copy_from_slice(&u32::MAX.to_ne_bytes());
        // struct inet_diag_sockid: ports and addresses in network order.
        r[8..10].copy_from_slice(&src.port().to_be_bytes());
        r[10..12].copy_from_slice(&dst.port().to_be_bytes());
        r[12..28].copy_from_slice(&addr_bytes(src.ip()));
        r[28..44].copy_from_slice(&addr_bytes(dst.ip()));
        // idiag_if 0; idiag_cookie INET_DIAG_NOCOOKIE (all ones): no check.
        r[48..56].copy_from_slice(&[0xff; 8]);
        m
    }

    fn query(fd: &OwnedFd, src: SocketAddr, dst: SocketAddr) -> Answer {
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let req = request(seq, src, dst);
        let kernel = SocketAddrNetlink::new(0, 0);
        match rustix::net::sendto(fd, &req, SendFlags::empty(), &kernel) {
            Ok(n) if n == req.len() => {}
            _ => return Answer::Unavailable,
        }
        let mut buf = [0u8; 1024];
        // Skip answers to earlier queries abandoned after an error.
        for _ in 0..8 {
            let n = match rustix::net::recv(fd, &mut buf, RecvFlags::empty()) {
                Ok((_, n)) => n.min(buf.len()),
                Err(_) => return Answer::Unavailable,
            };
            match parse(&buf[..n], seq, src, dst) {
                Some(a) => return a,
                None => continue,
            }
        }
        Answer::Unavailable
    }

    /// The answer to query `seq` in one datagram; `None` if it answers
    /// another query.
    pub fn parse(d: &[u8], seq: u32, src: SocketAddr, dst: SocketAddr) -> Option<Answer> {
        let u32_at = |b: &[u8], at: usize| -> Option<u32> {
            Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
        };
        let len = u32_at(d, 0)? as usize;
        let kind = u16::from_ne_bytes(d.get(4..6)?.try_into().ok()?);
        if u32_at(d, 8)? != seq {
            return None;
        }
        let Some(body) = d.get(NLMSG_HDRLEN..len) else {
            return Some(Answer::Unavailable);
        };
        if kind == NLMSG_ERROR {
            let errno = i32::from_ne_bytes(body.get(0..4)?.try_into().ok()?);
            return Some(if errno == -ENOENT {
                Answer::NoSocket
            } else {
                Answer::Unavailable
            });
        }
        if kind != SOCK_DIAG_BY_FAMILY {
            return Some(Answer::Unavailable);
        }
        // struct inet_diag_msg: family, state, timer, retrans, sockid (48),
        // expires, rqueue, wqueue, uid, inode.
        let (Some(state), Some(id), Some(uid), Some(inode)) = (
            body.get(1).copied(),
            body.get(4..52),
            u32_at(body, 64),
            u32_at(body, 68),
        ) else {
            return Some(Answer::Unavailable);
        };
        // The kernel looked it up by this 4-tuple; make sure it is the one.
        let same = id[0..2] == src.port().to_be_bytes()
            && id[2..4] == dst.port().to_be_bytes()
            && id[4..20] == addr_bytes(src.ip())
            && id[20..36] == addr_bytes(dst.ip());
        Some(if same && live_client_state(state) && inode != 0 {
            Answer::Found(PeerSocket {
                uid,
                inode: u64::from(inode),
            })
        } else {
            Answer::NoSocket
        })
    }
}

#[cfg(target_os = "linux")]
mod proc_net {
    //! `/proc/net/tcp{,6}`: `sl local rem st … uid timeout inode`, addresses
    //! as the kernel's 32-bit words in hex (host order of network-order
    //! bytes), ports in hex.

    use super::{canonical, live_client_state};
    use std::io::BufRead;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

    const TABLES: [&str; 2] = ["/proc/net/tcp", "/proc/net/tcp6"];
    const LISTEN: u8 = 0x0A;

    pub struct Row {
        pub local: SocketAddr,
        pub remote: SocketAddr,
        pub state: u8,
        pub uid: u32,
        pub inode: u64,
    }

    /// The first row of either table for which `pick` answers, reading
    /// line by line and stopping there.
    fn find<T>(mut pick: impl FnMut(&Row) -> Option<T>) -> Option<T> {
        for t in TABLES {
            let Ok(f) = std::fs::File::open(t) else {
                continue;
            };
            for line in std::io::BufReader::new(f).lines().skip(1) {
                let Ok(line) = line else { break };
                if let Some(found) = parse_row(&line).as_ref().and_then(&mut pick) {
                    return Some(found);
                }
            }
        }
        None
    }

    pub fn connection(src: SocketAddr, dst: SocketAddr) -> Option<super::PeerSocket> {
        find(|r| {
            (r.local == src && r.remote == dst).then_some(r)?;
            Some(
                (live_client_state(r.state) && r.inode != 0).then_some(super::PeerSocket {
                    uid: r.uid,
                    inode: r.inode,
                }),
            )
        })
        .flatten()
    }

    pub fn listener(addr: SocketAddr) -> Option<u32> {
        find(|r| {
            let clash = r.local.port() == addr.port()
                && (r.local.ip() == addr.ip()
                    || r.local.ip().is_unspecified()
                    || addr.ip().is_unspecified());
            (r.state == LISTEN && clash).then_some(r.uid)
        })
    }

    pub fn parse_row(line: &str) -> Option<Row> {
        let f: Vec<&str> = line.split_whitespace().collect();
        Some(Row {
            local: canonical(parse_addr(f.get(1)?)?),
            remote: canonical(parse_addr(f.get(2)?)?),
            state: u8::from_str_radix(f.get(3)?, 16).ok()?,
            uid: f.get(7)?.parse().ok()?,
            inode: f.get(9)?.parse().ok()?,
        })
    }

    fn parse_addr(s: &str) -> Option<SocketAddr> {
        let (ip, port) = s.split_once(':')?;
        let port = u16::from_str_radix(port, 16).ok()?;
        let word = |i: usize| -> Option<[u8; 4]> {
            let w = u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16).ok()?;
            Some(w.to_ne_bytes())
        };
        let ip = match ip.len() {
            8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
            32 => {
                let mut b = [0u8; 16];
                for i in 0..4 {
                    b[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
                }
                IpAddr::V6(Ipv6Addr::from(b))
            }
            _ => return None,
        };
        Some(SocketAddr::new(ip, port))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::net::{Ipv6Addr, TcpListener, TcpStream};

    fn pair(bind: &str) -> Option<(TcpListener, TcpStream, SocketAddr, SocketAddr)> {
        let l = TcpListener::bind(bind).ok()?;
        let c = TcpStream::connect(l.local_addr().ok()?).ok()?;
        let (s, peer) = l.accept().ok()?;
        let local = s.local_addr().ok()?;
        Some((l, c, local, peer))
    }

    #[test]
    fn netlink_finds_our_own_connections_v4_and_v6() {
        for bind in ["127.0.0.1:0", "[::1]:0"] {
            let Some((_l, _c, local, peer)) = pair(bind) else {
                assert!(bind.contains("::1"), "cannot set up {bind}");
                eprintln!("skipped {bind}: no IPv6 loopback here");
                continue;
            };
            let diag::Answer::Found(s) = diag::lookup(canonical(peer), canonical(local)) else {
                panic!("netlink did not find the socket for {bind}");
            };
            assert_eq!(s.uid, own_uid());
            assert!(is_own_user(local, peer));
            // The fallback agrees.
            assert_eq!(proc_net::connection(peer, local), Some(s));
            // The server's own end is not a client socket of this connection.
            assert_ne!(peer_socket(peer, local).map(|s| s.inode), Some(s.inode));
        }
    }

    #[test]
    fn unknown_connections_are_not_ours() {
        let a: SocketAddr = "127.0.0.1:1".parse().expect("a");
        let b: SocketAddr = "127.0.0.1:2".parse().expect("b");
        assert!(!is_own_user(a, b));
        assert_eq!(proc_net::connection(a, b), None);
        let far: SocketAddr = "192.0.2.1:2".parse().expect("far");
        assert!(!is_own_user(a, far));
    }

    #[test]
    fn mapped_ipv4_peers_are_looked_up_as_ipv4() {
        let Some((_l, _c, local, peer)) = pair("127.0.0.1:0") else {
            panic!("no loopback");
        };
        let map = |a: SocketAddr| match a {
            SocketAddr::V4(v4) => SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port()),
            v6 => v6,
        };
        assert!(is_own_user(map(local), map(peer)));
    }

    #[test]
    fn finds_the_uid_of_a_listener() {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("addr");
        assert_eq!(listener_uid(addr), Some(own_uid()));
        let wild = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), addr.port());
        assert_eq!(listener_uid(wild), Some(own_uid()));
        drop(l);
        assert_eq!(listener_uid(addr), None);
    }

    #[test]
    fn parses_proc_net_rows() {
        let v4 = "   0: 0100007F:B8A3 0100007F:BAE7 01 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 20 4 30 10 -1";
        let r = proc_net::parse_row(v4).expect("row");
        assert_eq!(r.local, "127.0.0.1:47267".parse().expect("a"));
        assert_eq!(r.remote, "127.0.0.1:47847".parse().expect("a"));
        assert_eq!((r.state, r.uid, r.inode), (1, 1000, 123456));
        let v6 = "   0: 00000000000000000000000001000000:1F90 0000000000000000FFFF00000100007F:D431 01 00000000:00000000 00:00000000 00000000    0        0 7 1 0 20 4 30 10 -1";
        let r = proc_net::parse_row(v6).expect("row6");
        assert_eq!(
            r.local,
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 8080)
        );
        assert_eq!(r.remote, "127.0.0.1:54321".parse().expect("a"));
    }

    #[test]
    fn a_foreign_answer_is_skipped_and_a_wrong_socket_refused() {
        let src: SocketAddr = "127.0.0.1:40000".parse().expect("a");
        let dst: SocketAddr = "127.0.0.1:47911".parse().expect("b");
        let mut m = diag::request(7, src, dst).to_vec();
        // Turn the request into an answer of the same layout length.
        assert!(diag::parse(&m, 8, src, dst).is_none(), "another seq");
        m.resize(16 + 72, 0);
        m[0..4].copy_from_slice(&(88u32).to_ne_bytes());
        let body = 16;
        m[body + 1] = 1; // ESTABLISHED
        m[body + 64..body + 68].copy_from_slice(&1234u32.to_ne_bytes());
        m[body + 68..body + 72].copy_from_slice(&99u32.to_ne_bytes());
        // The request's sockid sits at body+8; an answer's at body+4.
        let id = diag::request(7, src, dst)[body + 8..body + 56].to_vec();
        m[body + 4..body + 52].copy_from_slice(&id);
        assert!(matches!(
            diag::parse(&m, 7, src, dst),
            Some(diag::Answer::Found(PeerSocket {
                uid: 1234,
                inode: 99
            }))
        ));
        m[body + 1] = 6; // TIME_WAIT: no owner
        assert!(matches!(
            diag::parse(&m, 7, src, dst),
            Some(diag::Answer::NoSocket)
        ));
        m[body + 1] = 1;
        let other: SocketAddr = "127.0.0.1:40001".parse().expect("c");
        assert!(matches!(
            diag::parse(&m, 7, other, dst),
            Some(diag::Answer::NoSocket)
        ));
    }
}
