//! Real DNS servers for the pre-flight tests, started by the tests on 127.0.0.1: an
//! authoritative hickory-server with in-memory zones that counts the questions it is
//! asked, one that answers everything with SERVFAIL, and one that never answers.
//! Test records live under example.nhs.uk; the reverse zone is all of in-addr.arpa, so
//! a PTR question about any IPv4 address gets an authoritative answer.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::proto::op::ResponseCode;
use hickory_server::proto::rr::rdata::{A, MX, PTR, SOA};
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneType};

pub enum Rec {
    A(&'static str, &'static str),
    Ptr(&'static str, &'static str),
    Mx(&'static str, &'static str),
}

const FORWARD: &str = "example.nhs.uk.";
const REVERSE: &str = "in-addr.arpa.";

type Asked = Arc<Mutex<Vec<(String, RecordType)>>>;

struct Handler {
    catalog: Catalog,
    asked: Asked,
    servfail: bool,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(&self, request: &Request, mut response: R) -> ResponseInfo {
        if let Ok(info) = request.request_info() {
            let name = info.query.name().to_string().to_ascii_lowercase();
            self.asked.lock().expect("lock").push((name, info.query.query_type()));
            if self.servfail {
                let reply = MessageResponseBuilder::from_message_request(request)
                    .error_msg(info.metadata, ResponseCode::ServFail);
                if let Ok(sent) = response.send_response(reply).await {
                    return sent;
                }
            }
        }
        self.catalog.handle_request::<R, T>(request, response).await
    }
}

pub struct TestDns {
    pub addr: SocketAddr,
    asked: Asked,
    stop: Option<Box<dyn FnOnce() + Send>>,
}

impl TestDns {
    /// An authoritative server for example.nhs.uk and in-addr.arpa holding `records`.
    pub fn start(records: &[Rec]) -> TestDns {
        let mut forward = zone(FORWARD);
        let mut reverse = zone(REVERSE);
        for rec in records {
            let (name, data) = match rec {
                Rec::A(name, ip) => (*name, RData::A(A(Ipv4Addr::from_str(ip).expect("ip")))),
                Rec::Mx(name, exchange) => (*name, RData::MX(MX::new(10, fqdn(exchange)))),
                Rec::Ptr(ip, name) => {
                    let reversed: Vec<&str> = ip.rsplit('.').collect();
                    let owner: &'static str = Box::leak(format!("{}.{REVERSE}", reversed.join(".")).into_boxed_str());
                    (owner, RData::PTR(PTR(fqdn(name))))
                }
            };
            let record = Record::from_rdata(fqdn(name), 60, data);
            let target = if name.ends_with("in-addr.arpa.") { &mut reverse } else { &mut forward };
            assert!(target.upsert_mut(record, 1), "record for {name}");
        }
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::from(fqdn(FORWARD)), vec![Arc::new(forward)]);
        catalog.upsert(LowerName::from(fqdn(REVERSE)), vec![Arc::new(reverse)]);
        serve(catalog, false)
    }

    /// A server that answers every question with SERVFAIL.
    pub fn servfail() -> TestDns {
        serve(Catalog::new(), true)
    }

    /// How many times `name` (a domain, or an IP for its PTR) was asked about.
    pub fn times_asked(&self, name: &str, kind: RecordType) -> usize {
        let name = match name.parse::<Ipv4Addr>() {
            Ok(ip) => {
                format!("{}.in-addr.arpa.", ip.octets().iter().rev().map(u8::to_string).collect::<Vec<_>>().join("."))
            }
            Err(_) => format!("{}.", name.trim_end_matches('.')),
        };
        self.asked.lock().expect("lock").iter().filter(|(n, k)| *n == name && *k == kind).count()
    }
}

impl Drop for TestDns {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

/// A UDP port that receives questions and never answers: a resolver asking it times out.
pub struct Silent {
    pub addr: SocketAddr,
    _socket: UdpSocket,
}

impl Silent {
    pub fn start() -> Silent {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        Silent { addr: socket.local_addr().expect("addr"), _socket: socket }
    }
}

fn fqdn(name: &str) -> Name {
    Name::from_str(&format!("{}.", name.trim_end_matches('.'))).expect("name")
}

fn zone(origin: &str) -> InMemoryZoneHandler<TokioRuntimeProvider> {
    let origin_name = fqdn(origin);
    let mut zone = InMemoryZoneHandler::empty(origin_name.clone(), ZoneType::Primary, AxfrPolicy::Deny);
    let soa = SOA::new(fqdn(&format!("ns.{origin}")), fqdn(&format!("hostmaster.{origin}")), 1, 3600, 600, 86400, 60);
    assert!(zone.upsert_mut(Record::from_rdata(origin_name, 60, RData::SOA(soa)), 1));
    zone
}

fn serve(catalog: Catalog, servfail: bool) -> TestDns {
    let asked: Asked = Arc::default();
    let handler = Handler { catalog, asked: asked.clone(), servfail };
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("bind");
            let addr = socket.local_addr().expect("addr");
            let mut server = hickory_server::Server::new(handler);
            server.register_socket(socket);
            let token = server.shutdown_token().clone();
            let stop: Box<dyn FnOnce() + Send> = Box::new(move || token.cancel());
            ready_tx.send((addr, stop)).expect("ready");
            // Ends when the test drops its handle.
            let _ = server.block_until_done().await;
        });
    });
    let (addr, stop) = ready_rx.recv().expect("server started");
    TestDns { addr, asked, stop: Some(stop) }
}
