//! TLS against a local HTTPS server whose certificate comes from a private CA: refused with the
//! OS trust store alone (verification is on), accepted once the CA PEM is configured.

use std::sync::Arc;

use depwatch_bitbucket::error::ConnectFailure;
use depwatch_bitbucket::{Auth, Client, Error};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::scripted::config;

/// A private CA (PEM) and a leaf for 127.0.0.1 / localhost signed by it.
fn private_pki() -> (String, CertificateDer<'static>, PrivateKeyDer<'static>) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "depwatch test corporate CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let mut leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    leaf_params.distinguished_name.push(DnType::CommonName, "git.corp test");
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
    (
        ca.pem(),
        leaf.der().clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    )
}

/// Serves `application-properties` over TLS with a minimal HTTP/1.1 answer per connection.
async fn tls_server(
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> std::net::SocketAddr {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body =
                    r#"{"version":"8.19.1","buildNumber":"8019001","displayName":"Bitbucket"}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn private_ca_is_refused_by_default_and_trusted_once_configured() {
    let (ca_pem, cert, key) = private_pki();
    let addr = tls_server(cert, key).await;
    let base = format!("https://{addr}/bitbucket");

    let plain = Client::new(config(&base, Auth::Anonymous)).unwrap();
    let err = plain.application_properties().await.unwrap_err();
    assert!(matches!(err, Error::Connect { kind: ConnectFailure::Tls, .. }), "{err:?}");
    assert!(err.to_string().contains("add the CA PEM"), "{err}");

    let mut cfg = config(&base, Auth::Anonymous);
    cfg.custom_ca_pem = Some(ca_pem);
    let trusted = Client::new(cfg).unwrap();
    let props = trusted.application_properties().await.unwrap();
    assert_eq!(props.version, "8.19.1");
    assert!(props.has_archived_filter());
}
