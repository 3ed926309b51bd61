//! Golden share links: fragments committed on the day the format was frozen must decode to the
//! same text forever. If one of these fails, the link format changed — that breaks every link
//! people have already shared. Add a new version (`s=2.`) instead and keep decoding `s=1.`.
//!
//! (Encoding may legitimately produce different bytes after a compressor upgrade; only decoding
//! is frozen. Today's encoder is also checked, so a change is noticed, not silently accepted.)

use switchboard::scenario::{self, link, link::LinkError};

/// (fragment, text) pairs made with format version 1.
const GOLDEN: &[(&str, &str)] = &[
    (
        "s=1.ASgA1_9zY2VuYXJpbyAidW50aXRsZWQiIHNlZWQgMSBkdXJhdGlvbiA2MHMK",
        "scenario \"untitled\" seed 1 duration 60s\n",
    ),
    (
        "s=1.LY07DsIwEER7n2IUWgIhIg0FF6CAK1jOCiz8iXYNiCNRIQqoqOKLYRDVNO_NE0NBs42oDuRcrCBEPZYt-hPrZGPAohGlhPhsDUHjEvlILGiRrCe0jZfx0fnCGGcpJBgUkdDNBfUaerazYa_UBOOz_r9Mkd8h301-9fkGE70vntLgweBLrxR-mTJMg7tiu1Ef",
        "scenario \"hello\" seed 42 duration 10s\n\nservice a workers 2 time 20ms±5ms\n\nclient c rate 5/s -> a.Ping\n\n# µ-service, ünïcödé comment\na rpc Ping:\n  work\n  reply OK\n",
    ),
    (
        "s=1.bVNBbtswELzzFYsUAdqDHUm2gyItesmxBxdoPkBR62gbipS5lB0_q1_oy7qkHMlGcpK4HM7OzJJs0OlAHm5Mi-bFD_EGGLGBdQXNEHQk7-C-YKUcxqMPL2B1RGdOUHW8XH7tGKxnhmJZ3irFGA5kEJ4Fc9QnSAcwMJT305YPTaq87awhUodQFR3_-7vpeML1-tShizOyGpH42n9eC_rLhMROk51x5YhbCUap_YDDzLXYg9G9NhRPUBZFAQdiqsmmdcXQ6deFjhG7XtquoLH7-aQslIq-JzM6WOAh1ZUyluQHjliDpJWc3DH0npgluMWPKYpf299PcPcWctaYvqVQfAx5UCBqrT0ntnwMKLhtWkCDurHkkkuxCQFjIEwR1VrO7nawSeU_JGaC0ATsrTgsSqXO8YfewAVh6pXyk08_1Ja4vXIJGTTiG8Gge5frY6vDM069tj-VmiZovOOhux6Dd2YIYbxIF913MkrY3MqfGFHqPFoeajaBarxSNR1Tn-CpfXdjJDznfBRB2rRAUs-iHyQ8SwfMgeWbksagXSOaZJECXCodJS0Zow6R8guYuL_LSC987HyADY8CnDQBEzS3yN_A5EBEjJYqOYiiMAvI7Cthz9CZOVGV8tD-Aw",
        CHECKOUT_V1,
    ),
];

/// The checkout scenario as it was when the format was frozen (not the live gallery text,
/// which may evolve).
const CHECKOUT_V1: &str = r#"scenario "checkout" seed 42 duration 60s

network latency 2ms..8ms loss 0.1%

service gateway workers 16
service orders workers 4 time 20ms±5ms
service payments workers 2 time exp(40ms)
service emails workers 1 time 30ms

queue payments-q capacity 1000 visibility 2s max-attempts 3 dlq payments-dlq

topic order-events

client web rate 20/s poisson -> gateway POST /checkout timeout 1s

gateway POST /checkout:
  call orders.CreateOrder deadline 300ms retries 2 backoff 50ms jitter
  reply 201

orders rpc CreateOrder:
  work
  publish order-events OrderCreated
  enqueue payments-q Charge
  reply OK

payments consume payments-q concurrency 2:
  work
  fail 5%
  ack

emails subscribe order-events:
  work

# The payments worker cannot reach its queue: deliveries time out and come back.
at 20s partition payments <-> payments-q for 5s
# Then it crashes; charges wait in the queue.
at 30s crash payments for 10s
"#;

#[test]
fn golden_fragments_decode_forever() {
    for (frag, text) in GOLDEN {
        assert_eq!(link::decode_text(frag).as_deref(), Ok(*text));
        // And they are still valid scenarios, in canonical form.
        let (decoded, model) = link::decode(frag).expect("golden link parses");
        assert_eq!(scenario::format(&model), decoded);
    }
}

#[test]
fn todays_encoder_still_produces_the_golden_bytes() {
    for (frag, text) in GOLDEN {
        assert_eq!(link::encode_text(text), *frag);
    }
}

#[test]
fn golden_fragments_decode_from_whole_urls() {
    let (frag, text) = GOLDEN[1];
    for url in [
        format!("#{frag}"),
        format!("https://example.test/switchboard/?embed=1&view=timeline#{frag}"),
        format!("http://127.0.0.1:8080/#view=log&{frag}"),
        // Padding and line breaks from copy-paste are tolerated.
        format!("{}\n{}==", &frag[..20], &frag[20..]),
    ] {
        assert_eq!(link::decode_text(&url).as_deref(), Ok(text), "{url}");
    }
}

/// Each broken fragment, frozen with the error it gives.
#[test]
fn golden_failures() {
    let cases: &[(&str, LinkError)] = &[
        ("", LinkError::Missing),
        ("#view=log", LinkError::Missing),
        ("s=", LinkError::Malformed),
        ("s=1", LinkError::Malformed),
        ("s=.abc", LinkError::Malformed),
        ("s=2.ASgA1_9z", LinkError::UnknownVersion("2".into())),
        ("s=1.AAAA", LinkError::BadDeflate),
        // The first golden link cut short.
        ("s=1.ASgA1_9zY2VuYXJpbyAidW50aXRs", LinkError::BadDeflate),
        // Raw DEFLATE of 0xFF 0xFE.
        ("s=1.-_8PAA", LinkError::NotUtf8),
    ];
    for (frag, want) in cases {
        assert_eq!(link::decode_text(frag).as_ref(), Err(want), "{frag:?}");
    }
    assert!(matches!(
        link::decode_text("s=1.ab$c"),
        Err(LinkError::BadBase64(_))
    ));
    assert!(matches!(
        link::decode_text("s=1.A"),
        Err(LinkError::BadBase64(_))
    ));
    // 300 KiB of text: over the limit, however well it compresses.
    let big = link::encode_text(&"#\n".repeat(150 * 1024));
    assert!(big.len() < 2_000, "compresses to {} chars", big.len());
    assert_eq!(
        link::decode_text(&big),
        Err(LinkError::TooLarge { limit: 256 * 1024 })
    );
    assert_eq!(
        link::decode_text(&"A".repeat(link::MAX_FRAGMENT_CHARS + 1)),
        Err(LinkError::TooLarge { limit: 256 * 1024 })
    );
}

#[test]
fn a_link_whose_text_does_not_parse_keeps_the_text() {
    let frag = link::encode_text("service a\nservce b\n");
    match link::decode(&frag) {
        Err(LinkError::Invalid { text, diagnostics }) => {
            assert_eq!(text, "service a\nservce b\n");
            assert_eq!((diagnostics[0].line, diagnostics[0].col), (2, 1));
            let shown = LinkError::Invalid { text, diagnostics }.to_string();
            assert!(shown.contains("did you mean `service`"), "{shown}");
        }
        other => panic!("{other:?}"),
    }
}
