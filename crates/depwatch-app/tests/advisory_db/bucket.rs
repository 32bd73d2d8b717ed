//! A loopback stand-in for the OSV bucket: `GET /<Ecosystem>/all.zip` with an ETag and a
//! Last-Modified date, answering 304 to `If-None-Match` / `If-Modified-Since` that match.

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use depwatch_advisories::RawRecord;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const LAST_MODIFIED: &str = "Sat, 21 Nov 2026 10:00:00 GMT";

#[derive(Default)]
struct Served {
    files: HashMap<String, (Vec<u8>, String)>,
    full: AtomicUsize,
    not_modified: AtomicUsize,
}

/// The running server; it stops with the test process.
pub struct Bucket {
    base: String,
    served: Arc<Served>,
}

impl Bucket {
    /// Serves each (ecosystem, zip file) at `/<ecosystem>/all.zip` on 127.0.0.1:0.
    pub fn start(exports: &[(&str, PathBuf)]) -> Bucket {
        let mut served = Served::default();
        for (ecosystem, path) in exports {
            let bytes = std::fs::read(path).unwrap();
            let etag = format!("\"{}-{}\"", ecosystem, bytes.len());
            served.files.insert((*ecosystem).to_owned(), (bytes, etag));
        }
        let served = Arc::new(served);
        let state = Arc::clone(&served);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app =
                    Router::new().route("/{ecosystem}/all.zip", get(export)).with_state(state);
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        Bucket { base: format!("http://{addr}"), served }
    }

    pub fn url(&self, ecosystem: &str) -> String {
        format!("{}/{ecosystem}/all.zip", self.base)
    }

    pub fn full_responses(&self) -> usize {
        self.served.full.load(Ordering::SeqCst)
    }

    pub fn not_modified_responses(&self) -> usize {
        self.served.not_modified.load(Ordering::SeqCst)
    }
}

async fn export(
    State(served): State<Arc<Served>>,
    UrlPath(ecosystem): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some((bytes, etag)) = served.files.get(&ecosystem) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let value = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
    // RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since when both are present.
    let unchanged = match value(header::IF_NONE_MATCH) {
        Some(tags) => tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        None => value(header::IF_MODIFIED_SINCE) == Some(LAST_MODIFIED),
    };
    if unchanged {
        served.not_modified.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.clone())]).into_response();
    }
    served.full.fetch_add(1, Ordering::SeqCst);
    (
        [
            (header::ETAG, etag.clone()),
            (header::LAST_MODIFIED, LAST_MODIFIED.to_owned()),
            (header::CONTENT_TYPE, "application/zip".to_owned()),
        ],
        bytes.clone(),
    )
        .into_response()
}

/// Writes records as an OSV-style zip.
pub fn write_zip(path: &Path, records: &[RawRecord]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for r in records {
        zip.start_file(r.file.as_str(), options).unwrap();
        zip.write_all(&r.json).unwrap();
    }
    zip.finish().unwrap();
}
