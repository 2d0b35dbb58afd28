//! The redaction table of README "Security": every key and value form a real connector config
//! carries secrets in, and their non-secret look-alikes, through every rendering of a plan — its
//! text, its JSON, its `Debug` and its log line (`plan = %plan`, as kafka-sync logs it, through
//! the functions' JSON subscriber) — for a connector created and one updated from old values.
//! No byte of a secret appears in any of them; every look-alike and placeholder does.

use std::collections::BTreeMap;

use switchyard_core::kafka_sync::changes::diff;
use switchyard_core::kafka_sync::desired::{load, ConnectorConfig, SourceFile};
use switchyard_core::kafka_sync::observed::{ObservedCluster, ObservedConnector};
use switchyard_core::kafka_sync::topics::diff::TopicOptions;
use switchyard_core::kafka_sync::{DiffOptions, ManagedScope, Redactor};
use switchyard_test_support::logs::Captured;

/// (key, value, the secret bytes in it): each form item 1 of issue 19 names.
const SECRETS: &[(&str, &str, &str)] = &[
    ("camel.kamelet.aws-s3-source.secretKey", "kamelet-s3cr3t-KEY1", "kamelet-s3cr3t-KEY1"),
    ("camel.kamelet.aws-s3-source.accessKey", "acc3ss-key-B2", "acc3ss-key-B2"),
    ("clientSecret", "cl1ent-s3cr3t-A3", "cl1ent-s3cr3t-A3"),
    ("basic.auth.user.info", "sr-user:sr-passw0rd-C4", "sr-passw0rd-C4"),
    ("value.converter.basic.auth.user.info", "vc-user:vc-passw0rd-C5", "vc-passw0rd-C5"),
    ("database.password", "db-passw0rd-D6", "db-passw0rd-D6"),
    ("ssl.keystore.password", "ks-passw0rd-E7", "ks-passw0rd-E7"),
    ("ssl.truststore.password", "ts-passw0rd-E8", "ts-passw0rd-E8"),
    ("ssl.key.password", "key-passw0rd-E9", "key-passw0rd-E9"),
    (
        "ssl.keystore.key",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQprivKEYmaterialF10\n-----END PRIVATE KEY-----",
        "MIIEvQprivKEYmaterialF10",
    ),
    (
        "ssl.keystore.certificate.chain",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFencKEYmaterialF11\n-----END ENCRYPTED PRIVATE KEY-----",
        "MIIFencKEYmaterialF11",
    ),
    (
        "sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"app\" password=\"jaas-passw0rd-G12\";",
        "jaas-passw0rd-G12",
    ),
    (
        "connection.url",
        "jdbc:postgresql://app:jdbc-passw0rd-H13@db.internal:5432/orders",
        "jdbc-passw0rd-H13",
    ),
    (
        "mongodb.connection.string",
        "mongodb://reader:mongo-passw0rd-H14@mongo-1:27017,mongo-2:27017/db?authSource=admin",
        "mongo-passw0rd-H14",
    ),
    (
        "es.url",
        "https://elastic:es-passw0rd-H15@search.internal:9200",
        "es-passw0rd-H15",
    ),
    (
        "jdbc.properties.url",
        "jdbc:mysql://db:3306/x?user=app&password=qs-passw0rd-H16&ssl=true",
        "qs-passw0rd-H16",
    ),
    (
        "headers",
        "Authorization:Bearer bearer-t0ken-I17|Accept:application/json",
        "bearer-t0ken-I17",
    ),
    ("http.headers.authorization", "Basic YmFzaWMtYXV0aC1JMTg=", "YmFzaWMtYXV0aC1JMTg="),
    ("tasks.max", "db-passw0rd-D6", "db-passw0rd-D6"),
];

/// (key, value): look-alikes and placeholders, shown as they are.
const VISIBLE: &[(&str, &str)] = &[
    (
        "key.converter",
        "org.apache.kafka.connect.json.JsonConverter",
    ),
    ("ssl.keystore.type", "PKCS12"),
    ("ssl.keystore.location", "/etc/kafka/keystore.p12"),
    ("ssl.truststore.type", "JKS"),
    ("basic.auth.credentials.source", "USER_INFO"),
    (
        "camel.kamelet.aws-s3-source.accessKeyId",
        "AKIAVISIBLEKEYID0001",
    ),
    ("message.key.columns", "inventory.orders:id"),
    ("database.user", "app-user"),
    ("database.hostname", "db.internal"),
    ("topic.prefix", "orders"),
    ("other.url", "jdbc:postgresql://db2.internal:5432/reports"),
    (
        "secret.manager.password",
        "${secretsManager:prod/orders:password}",
    ),
    (
        "oauth.clientSecret",
        "${file:/opt/connect/secrets.properties:client}",
    ),
    (
        "aws.secret.access.key",
        "${vault:secret/data/aws:secret_key}",
    ),
];

fn connector_file(name: &str, pairs: &[(&str, &str)]) -> SourceFile {
    let mut yaml = format!("name: {name}\nconfig:\n  connector.class: org.apache.kafka.connect.file.FileStreamSinkConnector\n");
    for (key, value) in pairs {
        yaml.push_str(&format!(
            "  {key}: {}\n",
            serde_json::to_string(value).unwrap()
        ));
    }
    SourceFile {
        path: format!("connectors/{name}.yaml"),
        contents: yaml.into_bytes(),
    }
}

#[test]
fn no_secret_byte_reaches_a_plan_rendering_and_look_alikes_stay_visible() {
    // `tasks.max` carries the database password, pasted into the wrong key: hidden there too.
    let pairs: Vec<(&str, &str)> = SECRETS
        .iter()
        .map(|(k, v, _)| (*k, *v))
        .chain(VISIBLE.iter().copied())
        .collect();
    let files = vec![
        SourceFile {
            path: "environments/test.yaml".into(),
            contents: b"{}\n".to_vec(),
        },
        connector_file("sy-created", &pairs),
        connector_file("sy-updated", &pairs),
    ];
    let desired = load(&files, "test").unwrap();
    // The updated connector's stored config: every key at an older secret value.
    let stored = ConnectorConfig(
        SECRETS
            .iter()
            .map(|(k, v, secret)| (k.to_string(), v.replace(secret, &format!("old-{secret}"))))
            .chain([("name".to_string(), "sy-updated".to_string())])
            .collect(),
    );
    let observed = ObservedCluster {
        version_text: "4.3.1".into(),
        version: None,
        connectors: BTreeMap::from([(
            "sy-updated".to_owned(),
            ObservedConnector {
                config: Some(stored),
                status: None,
            },
        )]),
    };
    let options = DiffOptions {
        scope: ManagedScope::new(vec!["sy-".into()], []),
        prune: false,
        redactor: Redactor::default(),
        allow_unmanaged_writes: false,
        topics: TopicOptions::default(),
    };
    let plan = diff(&desired, &observed, &options).unwrap();

    let (captured, guard) = Captured::install();
    tracing::info!(function = "kafka-sync", plan = %plan, "plan");
    drop(guard);
    let renderings = [
        ("text", plan.to_string()),
        ("JSON", serde_json::to_string(&plan).unwrap()),
        ("Debug", format!("{plan:?}")),
        ("log line", captured.text()),
    ];
    for (form, text) in &renderings {
        assert!(
            text.contains("sy-created") && text.contains("sy-updated"),
            "{form}: {text}"
        );
        for (key, _, secret) in SECRETS {
            for secret in [secret.to_string(), format!("old-{secret}")] {
                assert!(
                    !text.contains(&secret),
                    "{form}: the secret of {key} leaked: {text}"
                );
            }
        }
    }
    // Text, JSON and the log line show every look-alike and placeholder, and the parts of a
    // value that are not credentials (Debug shows keys only).
    for (form, text) in &renderings[..2] {
        for (key, value) in VISIBLE {
            assert!(
                text.contains(value),
                "{form}: {key} = {value} should stay visible: {text}"
            );
        }
        for visible in [
            "jdbc:postgresql://app:<redacted>@db.internal:5432/orders",
            "mongodb://reader:<redacted>@mongo-1:27017",
            "https://elastic:<redacted>@search.internal:9200",
            "password=<redacted>&ssl=true",
            "Authorization:<redacted>|Accept:application/json",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----<redacted>-----END ENCRYPTED PRIVATE KEY-----",
        ] {
            assert!(
                text.contains(visible),
                "{form}: {visible} should stay visible: {text}"
            );
        }
    }
}

/// Topics: a value the broker marks sensitive (hidden by DescribeConfigs, its key then secret for
/// every topic of the plan) never shows, created or updated, in the plan's text, JSON, `Debug` or
/// log line; the other overrides stay visible.
#[test]
fn sensitive_topic_config_values_never_reach_a_rendering() {
    use switchyard_core::kafka_sync::topics::diff::diff_topics;
    use switchyard_core::kafka_sync::topics::observed::{ObservedTopic, ObservedTopics};
    use switchyard_core::kafka_sync::topics::TopicOverrides;

    const SECRET: &str = "t0pic-s3cret-value-77";
    let files = vec![
        SourceFile {
            path: "environments/prod.yaml".into(),
            contents: format!("secret: {SECRET}\n").into_bytes(),
        },
        SourceFile {
            path: "topics/t.yaml".into(),
            contents: b"topics:\n  - {name: sy.new, partitions: 1, config: {retention.ms: \"{{ env.secret }}\", segment.ms: 600001}}\n  - {name: sy.old, partitions: 1, config: {retention.ms: \"{{ env.secret }}\"}}\n".to_vec(),
        },
    ];
    let desired = load(&files, "prod").unwrap();
    let overrides = TopicOverrides {
        values: BTreeMap::from([
            ("retention.ms".to_owned(), None),
            ("segment.ms".to_owned(), Some("600000".to_owned())),
        ]),
        sensitive: ["retention.ms".to_owned()].into(),
    };
    let observed = ObservedTopics {
        topics: BTreeMap::from([(
            "sy.old".to_owned(),
            ObservedTopic {
                partitions: 1,
                replication_factor: 1,
                overrides,
            },
        )]),
    };
    let scope = ManagedScope::new(vec!["sy.".into()], []);
    let options = TopicOptions {
        cluster: "main".into(),
        scope: Some(scope.clone()),
        delete_unlisted: false,
    };
    let mut plan = diff(
        &desired,
        &ObservedCluster {
            version_text: "4.3.1".into(),
            version: None,
            connectors: BTreeMap::new(),
        },
        &DiffOptions {
            scope: ManagedScope::new(vec!["sy-".into()], []),
            prune: false,
            redactor: Redactor::default(),
            allow_unmanaged_writes: false,
            topics: options.clone(),
        },
    )
    .unwrap();
    plan.topics = diff_topics(
        &desired,
        &observed,
        &scope,
        &options,
        false,
        &Redactor::default(),
    )
    .unwrap();

    let (captured, guard) = Captured::install();
    tracing::info!(function = "kafka-sync", plan = %plan, "plan");
    drop(guard);
    let renderings = [
        ("text", plan.to_string()),
        ("JSON", serde_json::to_string(&plan).unwrap()),
        ("Debug", format!("{plan:?}")),
        ("log line", captured.text()),
    ];
    for (form, text) in &renderings {
        assert!(text.contains("sy.new"), "{form}: {text}");
        assert!(
            !text.contains(SECRET),
            "{form}: the sensitive value leaked: {text}"
        );
    }
    for (form, text) in &renderings[..2] {
        assert!(
            text.contains("600001"),
            "{form}: other overrides stay visible: {text}"
        );
        assert!(text.contains("<redacted>"), "{form}: {text}");
    }
}
