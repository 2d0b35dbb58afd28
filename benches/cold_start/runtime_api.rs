//! The Lambda Runtime API of the cold-start benchmark: just enough HTTP/1.1 for one client,
//! which may hold several connections. Also reads the AWS stub's requests.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Child;
use std::time::{Duration, Instant};

/// How long the function may take to send its next request.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// How often a new request is looked for: bounds the error of each timestamp.
const POLL: Duration = Duration::from_micros(20);

pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct RuntimeApi {
    pub listener: TcpListener,
    /// Every open connection. The runtime's hyper pool may open a new connection for a request
    /// and then send it on an older one that became idle meanwhile (checkout and connect race),
    /// so no connection is closed while the function may still use it.
    pub streams: Vec<TcpStream>,
    /// The connection of the request being answered (an index into `streams`).
    pub answering: Option<usize>,
    pub child: KillOnDrop,
}

pub struct Request {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl RuntimeApi {
    /// Waits for the next request, on any open connection or a new one; returns it and the time
    /// its first byte was seen.
    pub fn next_request(&mut self) -> Result<(Request, Instant), String> {
        let started = Instant::now();
        loop {
            let mut i = 0;
            while i < self.streams.len() {
                let stream = &self.streams[i];
                let mut byte = [0u8; 1];
                match stream.peek(&mut byte) {
                    Ok(0) => {
                        self.streams.remove(i);
                    }
                    Ok(_) => {
                        let at = Instant::now();
                        stream.set_nonblocking(false).unwrap();
                        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
                        let request = read_request(stream)?;
                        stream.set_nonblocking(true).unwrap();
                        self.answering = Some(i);
                        return Ok((request, at));
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => i += 1,
                    Err(_) => {
                        self.streams.remove(i);
                    }
                }
            }
            match self.listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nodelay(true).unwrap();
                    stream.set_nonblocking(true).unwrap();
                    self.streams.push(stream);
                    continue;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Err(format!("accept: {e}")),
            }
            if let Ok(Some(status)) = self.child.0.try_wait() {
                return Err(format!("the function exited with {status}"));
            }
            if started.elapsed() > TIMEOUT {
                return Err("timed out waiting for the function".into());
            }
            std::thread::sleep(POLL);
        }
    }

    pub fn respond(
        &mut self,
        status: u16,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<(), String> {
        let stream = self
            .answering
            .take()
            .and_then(|i| self.streams.get_mut(i))
            .ok_or("no request to answer")?;
        let reason = if status == 200 { "OK" } else { "Accepted" };
        let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.set_nonblocking(false).unwrap();
        let result = stream
            .write_all(&[head.as_bytes(), body].concat())
            .map_err(|e| format!("write: {e}"));
        stream.set_nonblocking(true).unwrap();
        result
    }
}

/// Reads one request (Content-Length or chunked body). No pipelining: the client waits for each
/// answer, so nothing past this request is buffered.
pub fn read_request(stream: &TcpStream) -> Result<Request, String> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let mut parts = line.split_whitespace();
    let method = parts.next().ok_or("empty request line")?.to_owned();
    let path = parts.next().ok_or("no path")?.to_owned();
    let mut headers = Vec::new();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).map_err(|e| e.to_string())?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (k, v) = header.split_once(':').ok_or("bad header")?;
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
        match k.as_str() {
            "content-length" => length = v.parse().map_err(|_| "bad content-length")?,
            "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
            _ => {}
        }
        headers.push((k, v));
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).map_err(|e| e.to_string())?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap(), 16)
                .map_err(|_| "bad chunk size")?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).map_err(|e| e.to_string())?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    }
    if reader.buffer().is_empty() {
        Ok(Request {
            method,
            path,
            headers,
            body,
        })
    } else {
        Err("pipelined request: not supported".into())
    }
}
