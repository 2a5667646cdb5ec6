//! Words without codes: when a paste names nothing a rule or the catalog knows, the rules whose
//! texts share its words (ranked by BM25) are offered as "possibly related".
//!
//! A rule's text here is its title (counted twice), summary, causes, the phrases of its text
//! signatures and its examples, which carry the words users write. Words are folded,
//! a plural `s` is dropped, common words (NLTK's stop words of nine languages and RDP's own
//! everyday words) are skipped, CJK text is read as character pairs, a
//! few everyday words are read as the words rules use ("kicked" as "disconnected"), and common
//! words of other languages add their English ones ("검은 화면", "schwarzer Bildschirm": black screen).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde::Serialize;

use crate::catalog::{Knowledge, Pattern};
use crate::literals::{fold_phrase, is_cjk};

/// At most this many related rules are offered.
pub const MAX_RELATED: usize = 3;

/// Whether a report with `found` other candidates lists related rules at all: a caller can skip
/// building the word index when it does not.
pub fn has_room(found: usize) -> bool {
    found < MAX_RELATED
}

/// The confidence shown for the best related rule; the others get less, by score.
const TOP_CONFIDENCE: f64 = 0.15;

/// A related rule needs at least this many distinct shared words.
const MIN_SHARED_WORDS: usize = 2;

/// BM25's term-frequency saturation and length normalisation.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Everyday words read as the words the rules use.
const SYNONYMS: &[(&str, &str)] = &[
    ("kicked", "disconnected"),
    ("thrown", "disconnected"),
    ("dropped", "disconnected"),
    ("drop", "disconnect"),
    ("disconnects", "disconnected"),
    ("pc", "computer"),
    ("machine", "computer"),
    ("box", "computer"),
    ("login", "logon"),
    ("signin", "logon"),
    ("pwd", "password"),
    ("cert", "certificate"),
    ("blank", "black"),
    ("freezes", "freeze"),
    ("frozen", "freeze"),
    ("hangs", "hang"),
    ("stuck", "hang"),
    ("slow", "latency"),
    ("laggy", "latency"),
    ("lag", "latency"),
    ("rdp", "remote"),
    ("mstsc", "remote"),
    ("cant", "cannot"),
    ("can't", "cannot"),
    ("unable", "cannot"),
    ("couldn't", "cannot"),
    ("won't", "cannot"),
];

/// Words too common in RDP texts (or in English, beyond the stop-word list) to tell rules apart.
const STOPWORDS: &[&str] = &[
    "one",
    "get",
    "got",
    "also",
    "doe",
    "would",
    "could",
    "may",
    "might",
    "must",
    "shall",
    "connect",
    "connection",
    "connecting",
    "remote",
    "desktop",
    "error",
    "errors",
    "please",
    "help",
    "issue",
    "problem",
    "trying",
    "try",
    "tried",
    "use",
    "using",
    "used",
    "work",
    "working",
    "works",
    "worked",
    "yesterday",
    "today",
    "still",
    "even",
    "right",
    "left",
    "log",
    "goes",
    "going",
    "went",
    "see",
    "seem",
    "keep",
    "time",
    "day",
    "every",
    "always",
    "never",
    "sometime",
    "since",
    "like",
    "know",
    "think",
    "want",
    "need",
    "able",
    "way",
    "thing",
    "something",
    "anything",
    "nothing",
    "say",
    "said",
    "tell",
    "told",
    "show",
    "shown",
    "cannot",
    "message",
];

/// The languages whose common words (the NLTK stop-word lists: "the", "nicht", "что") are
/// skipped.
const COMMON_WORD_LANGUAGES: &[&str] = &["en", "de", "fr", "es", "it", "pt", "ru", "nl", "tr"];

/// The common words of [`COMMON_WORD_LANGUAGES`], folded as pastes are.
static COMMON_WORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    COMMON_WORD_LANGUAGES
        .iter()
        .filter_map(|language| stop_words::lookup(language))
        .flatten()
        .map(|word| fold_phrase(word))
        .collect()
});

/// Words of the languages users write in, and everyday phrases ("it worked yesterday"), read as
/// the English words the rules use, so a description in Korean or German finds the rules an
/// English one finds. A trailing `*` matches any ending (a stem); other phrases must stand as
/// whole words (CJK ones anywhere).
const TRANSLATIONS: &[(&str, &[&str])] = &[
    (
        "black screen",
        &[
            "grey screen",
            "gray screen",
            "white screen",
            "黑屏",
            "黑色屏幕",
            "黑畫面",
            "黒い画面",
            "画面が真っ黒",
            "真っ黒な画面",
            "真っ黒",
            "검은 화면",
            "검은색 화면",
            "블랙 스크린",
            "schwarzer bildschirm",
            "schwarzen bildschirm",
            "schwarzes bild",
            "écran noir",
            "ecran noir",
            "pantalla negra",
            "pantalla en negro",
            "schermo nero",
            "tela preta",
            "черный экран",
            "чёрный экран",
            "czarny ekran",
            "siyah ekran",
            "zwart scherm",
        ],
    ),
    (
        "password",
        &[
            "密码",
            "密碼",
            "パスワード",
            "비밀번호",
            "암호",
            "passwort",
            "kennwort",
            "mot de passe",
            "contraseña",
            "senha",
            "пароль*",
            "hasło",
            "haslo",
            "şifre*",
            "parola*",
            "wachtwoord",
        ],
    ),
    (
        "certificate",
        &[
            "证书",
            "憑證",
            "證書",
            "証明書",
            "인증서",
            "zertifikat*",
            "certificat*",
            "certificado*",
            "сертификат*",
            "certyfikat*",
            "sertifika*",
            "certificaat",
        ],
    ),
    (
        "authentication",
        &[
            "认证",
            "身份验证",
            "認證",
            "認証",
            "인증",
            "authentifizierung",
            "authentification",
            "autenticación",
            "autenticazione",
            "autenticação",
            "аутентификац*",
            "проверке подлинности",
            "проверки подлинности",
            "uwierzytelni*",
            "kimlik doğrulama*",
            "verificatie",
        ],
    ),
    (
        "disconnected",
        &[
            "断开",
            "斷開",
            "中断",
            "切断",
            "끊어",
            "끊김",
            "끊겼",
            "getrennt",
            "déconnecté*",
            "desconectad*",
            "disconness*",
            "отключ*",
            "разорван*",
            "rozłącz*",
            "bağlantı kesil*",
            "verbroken",
        ],
    ),
    (
        "connect",
        &[
            "无法连接",
            "無法連線",
            "接続できません",
            "연결할 수 없",
            "keine verbindung",
            "impossible de se connecter",
            "no se puede conectar",
            "impossibile connettersi",
            "não é possível conectar",
            "не удается подключиться",
            "nie można połączyć*",
            "bağlanamıyor",
            "kan geen verbinding",
        ],
    ),
    (
        "timeout",
        &[
            "超时",
            "逾時",
            "タイムアウト",
            "시간 초과",
            "zeitüberschreitung",
            "délai d'attente",
            "tiempo de espera",
            "tempo limite",
            "время ожидания",
            "тайм-аут",
            "limit czasu",
            "zaman aşımı",
            "time-out",
            "nothing happens",
            "stuck on connecting",
            "stuck at connecting",
            "hangs on connecting",
            "hangs at connecting",
            "spins forever",
        ],
    ),
    // A password prompt that comes back: saved or delegated credentials that are refused.
    (
        "saved credentials",
        &[
            "asks for my password again",
            "asks for the password again",
            "keeps asking for my password",
            "keeps asking for the password",
            "keeps asking for credentials",
            "keeps asking for my credentials",
            "asks for credentials again",
            "prompts for the password again",
            "prompted for credentials again",
            "password prompt keeps",
        ],
    ),
    (
        "password changed",
        &[
            "changed my password",
            "password was changed",
            "after changing the password",
            "after changing my password",
            "after a password change",
            "reset my password",
        ],
    ),
    (
        "license",
        &[
            "许可证",
            "授權",
            "ライセンス",
            "라이선스",
            "라이센스",
            "lizenz*",
            "licence*",
            "licencia*",
            "licenza",
            "licença",
            "лиценз*",
            "licencj*",
            "lisans*",
            "licentie*",
        ],
    ),
    ("gateway", &["网关", "閘道", "ゲートウェイ", "게이트웨이"]),
    (
        "firewall",
        &[
            "防火墙",
            "防火牆",
            "ファイアウォール",
            "방화벽",
            "pare-feu",
            "cortafuegos",
            "брандмауэр*",
            "zapora*",
            "güvenlik duvarı",
        ],
    ),
    (
        "internal error",
        &[
            "内部错误",
            "內部錯誤",
            "内部エラー",
            "내부 오류",
            "interner fehler",
            "erreur interne",
            "error interno",
            "errore interno",
            "erro interno",
            "внутренняя ошибка",
            "błąd wewnętrzny",
            "iç hata",
            "interne fout",
        ],
    ),
    (
        "user name",
        &[
            "用户名",
            "使用者名稱",
            "ユーザー名",
            "사용자 이름",
            "benutzername*",
            "nom d'utilisateur",
            "nombre de usuario",
            "nome utente",
            "nome de usuário",
            "имя пользователя",
            "nazwa użytkownika",
            "kullanıcı adı",
            "gebruikersnaam",
        ],
    ),
    (
        "freeze",
        &[
            "卡住",
            "卡死",
            "冻结",
            "凍結",
            "フリーズ",
            "固ま*",
            "멈춤",
            "멈춰",
            "굳어",
            "einfrieren",
            "friert",
            "se congela",
            "congelad*",
            "bloccat*",
            "зависа*",
            "zawiesza*",
            "donuyor",
            "bevriest",
        ],
    ),
    (
        "access denied",
        &[
            "拒绝访问",
            "拒絕存取",
            "アクセス拒否",
            "액세스 거부",
            "zugriff verweigert",
            "accès refusé",
            "acceso denegado",
            "accesso negato",
            "acesso negado",
            "доступ запрещен",
            "отказано в доступе",
            "odmowa dostępu",
            "erişim reddedildi",
            "toegang geweigerd",
        ],
    ),
    (
        "credentials",
        &[
            "凭据",
            "憑證資料",
            "資格情報",
            "자격 증명",
            "anmeldeinformationen",
            "informations d'identification",
            "credenciales",
            "credenziali",
            "credenciais",
            "учетные данные",
            "учётные данные",
            "poświadczenia",
            "kimlik bilgileri",
        ],
    ),
    (
        "expired",
        &[
            "过期",
            "過期",
            "期限切れ",
            "만료",
            "abgelaufen",
            "expiré*",
            "caducad*",
            "expirad*",
            "scadut*",
            "истек*",
            "истёк*",
            "wygas*",
            "süresi dol*",
            "verlopen",
        ],
    ),
    (
        "locked",
        &[
            "锁定",
            "鎖定",
            "ロックアウト",
            "잠금",
            "잠겼",
            "gesperrt",
            "verrouillé*",
            "bloquead*",
            "заблокирован*",
            "zablokowan*",
            "kilitlen*",
            "vergrendeld",
        ],
    ),
    (
        "network",
        &[
            "网络",
            "網路",
            "ネットワーク",
            "네트워크",
            "netzwerk*",
            "réseau*",
            "сеть",
            "сети",
            "sieć",
            "sieci",
            "netwerk*",
        ],
    ),
    // "It worked yesterday": something changed, most often an update.
    (
        "update broke",
        &[
            "worked yesterday",
            "worked before",
            "was working",
            "used to work",
            "worked fine",
            "stopped working",
            "suddenly",
            "all of a sudden",
            "gestern funktioniert",
            "funktionierte gestern",
            "hat bisher funktioniert",
            "fonctionnait hier",
            "marchait hier",
            "funcionaba ayer",
            "ayer funcionaba",
        ],
    ),
    (
        "session",
        &[
            "会话",
            "工作階段",
            "セッション",
            "세션",
            "sitzung*",
            "сеанс*",
            "oturum*",
            "sesj*",
        ],
    ),
];

/// One phrase of [`TRANSLATIONS`]: whether it is a stem, whether it is CJK, its English words.
struct Translated {
    stem: bool,
    cjk: bool,
    english: &'static str,
}

/// [`TRANSLATIONS`], folded, in one automaton, with what each phrase means.
static TRANSLATED: LazyLock<Option<(aho_corasick::AhoCorasick, Vec<Translated>)>> =
    LazyLock::new(|| {
        let mut phrases = Vec::new();
        let mut meta = Vec::new();
        for (english, words) in TRANSLATIONS {
            for word in *words {
                let folded = fold_phrase(word.trim_end_matches('*'));
                meta.push(Translated {
                    stem: word.ends_with('*'),
                    cjk: folded.chars().any(is_cjk),
                    english,
                });
                phrases.push(folded);
            }
        }
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&phrases)
            .ok()
            .map(|automaton| (automaton, meta))
    });

/// The English words of the [`TRANSLATIONS`] found in `folded` text.
fn translated(folded: &str) -> Vec<&'static str> {
    let Some((automaton, meta)) = TRANSLATED.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in automaton.find_iter(folded) {
        let Translated { stem, cjk, english } = meta[m.pattern().as_usize()];
        let starts = cjk
            || folded[..m.start()]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
        let ends = cjk
            || stem
            || folded[m.end()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
        if starts && ends {
            out.extend(english.split(' '));
        }
    }
    out
}

/// CJK words as common in RDP texts as "remote desktop" and "error": their character pairs are
/// not indexed.
const CJK_STOPWORDS: &[&str] = &[
    "リモートデスクトップ接続",
    "リモートコンピューター",
    "エラーコード",
    "远程桌面连接",
    "远程计算机",
    "错误代码",
    "遠端桌面連線",
    "遠端電腦",
    "錯誤碼",
    "원격데스크톱연결",
    "원격컴퓨터",
    "오류코드",
];

/// The character pairs of [`CJK_STOPWORDS`].
static CJK_STOP_PAIRS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    CJK_STOPWORDS
        .iter()
        .flat_map(|word| {
            let chars: Vec<char> = word.chars().collect();
            chars
                .windows(2)
                .map(|pair| pair.iter().collect::<String>())
                .collect::<Vec<_>>()
        })
        .collect()
});

/// A rule offered because the paste shares its words, without evidence of its cause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelatedRule {
    /// Index of the rule in [`Knowledge::rules`].
    pub rule: usize,
    /// A low confidence: the words are shared, the cause is not shown.
    pub score: f64,
    /// The shared words, most telling first.
    pub words: Vec<String>,
}

/// A word shared with a rule, with its inverse document frequency (how telling it is).
type Shared = (f64, String);

/// The word index of every rule's texts; built once per knowledge base.
pub struct Related {
    /// For each word: (rule, occurrences).
    postings: HashMap<String, Vec<(usize, u32)>>,
    /// Words per rule text.
    lengths: Vec<f64>,
    average: f64,
}

impl Related {
    /// Indexes the texts of every rule of `knowledge`.
    pub fn new(knowledge: &Knowledge) -> Related {
        let mut postings: HashMap<String, Vec<(usize, u32)>> = HashMap::new();
        let mut lengths = Vec::with_capacity(knowledge.rules.len());
        for (r, rule) in knowledge.rules.iter().enumerate() {
            let mut text = format!("{} {} {}", rule.title, rule.title, rule.summary);
            for part in rule
                .causes
                .iter()
                .chain(rule.examples.iter().map(|e| &e.text))
            {
                text.push(' ');
                text.push_str(part);
            }
            for signature in &rule.signatures {
                if let (Pattern::Text(phrase), true) = (&signature.pattern, signature.weight > 0.0)
                {
                    text.push(' ');
                    text.push_str(phrase);
                }
            }
            let words = words(&text);
            lengths.push(words.len() as f64);
            let mut counts: HashMap<String, u32> = HashMap::new();
            for word in words {
                *counts.entry(word).or_default() += 1;
            }
            for (word, count) in counts {
                postings.entry(word).or_default().push((r, count));
            }
        }
        let average = if lengths.is_empty() {
            1.0
        } else {
            (lengths.iter().sum::<f64>() / lengths.len() as f64).max(1.0)
        };
        Related {
            postings,
            lengths,
            average,
        }
    }

    /// The possibly related rules a report lists after `found` other candidates (matched rules
    /// and catalog meanings): every related rule when nothing was recognised, else as many as
    /// make the list [`MAX_RELATED`] long, never one of `candidates` (rule indexes). A paste
    /// that names one code still gets a few hypotheses; a well-explained one gets none.
    pub fn complement(&self, text: &str, candidates: &[usize], found: usize) -> Vec<RelatedRule> {
        if !has_room(found) {
            return Vec::new();
        }
        let mut related = self.find(text);
        related.retain(|r| !candidates.contains(&r.rule));
        related.truncate(MAX_RELATED - found);
        related
    }

    /// The rules whose texts share the most telling words with `text`, best first.
    pub fn find(&self, text: &str) -> Vec<RelatedRule> {
        let mut query: Vec<String> = words(text);
        query.sort();
        query.dedup();
        let documents = self.lengths.len() as f64;
        let mut scores: HashMap<usize, (f64, Vec<Shared>)> = HashMap::new();
        for word in &query {
            let Some(posting) = self.postings.get(word) else {
                continue;
            };
            let with = posting.len() as f64;
            let idf = ((documents - with + 0.5) / (with + 0.5) + 1.0).ln();
            for &(rule, count) in posting {
                let tf = f64::from(count);
                let norm = K1 * (1.0 - B + B * self.lengths[rule] / self.average);
                let gain = idf * tf * (K1 + 1.0) / (tf + norm);
                let slot = scores.entry(rule).or_default();
                slot.0 += gain;
                slot.1.push((idf, word.clone()));
            }
        }
        let mut ranked: Vec<(usize, f64, Vec<Shared>)> = scores
            .into_iter()
            .filter(|(_, (_, words))| words.len() >= MIN_SHARED_WORDS)
            .map(|(rule, (score, words))| (rule, score, words))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(MAX_RELATED);
        let best = ranked.first().map_or(1.0, |r| r.1);
        ranked
            .into_iter()
            .map(|(rule, score, mut shared)| {
                shared.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
                RelatedRule {
                    rule,
                    score: (TOP_CONFIDENCE * score / best * 100.0).round() / 100.0,
                    words: shared.into_iter().map(|(_, w)| w).take(6).collect(),
                }
            })
            .collect()
    }
}

/// The indexed words of a text: folded, synonyms read, common words dropped, CJK in pairs.
fn words(text: &str) -> Vec<String> {
    let folded = fold_phrase(text);
    let mut out: Vec<String> = translated(&folded).into_iter().map(String::from).collect();
    let mut cjk_previous: Option<char> = None;
    for token in folded.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
        let token = token.trim_matches('\'');
        if token.is_empty() {
            continue;
        }
        if token.chars().any(is_cjk) {
            for c in token.chars() {
                if !is_cjk(c) {
                    cjk_previous = None;
                    continue;
                }
                if let Some(p) = cjk_previous {
                    let pair = format!("{p}{c}");
                    if !CJK_STOP_PAIRS.contains(&pair) {
                        out.push(pair);
                    }
                }
                cjk_previous = Some(c);
            }
            cjk_previous = None;
            continue;
        }
        let word = SYNONYMS
            .iter()
            .find(|(from, _)| *from == token)
            .map_or(token, |(_, to)| to);
        let word = word
            .strip_suffix('s')
            .filter(|w| w.len() >= 4)
            .unwrap_or(word);
        if word.chars().count() < 3
            || word.chars().all(|c| c.is_ascii_digit())
            || STOPWORDS.contains(&word)
            || COMMON_WORDS.contains(word)
            || COMMON_WORDS.contains(token)
        {
            continue;
        }
        out.push(word.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_read_synonyms_and_pair_cjk() {
        assert_eq!(
            words("I get KICKED out of the PC, the screen goes black"),
            ["disconnected", "computer", "screen", "black"]
        );
        assert_eq!(words("黑屏了"), ["black", "screen", "黑屏", "屏了"]);
        assert!(words("リモート デスクトップ接続").is_empty());
    }

    #[test]
    fn common_words_of_other_languages_are_skipped() {
        assert_eq!(
            words("Ich kann mich nicht mit dem Server verbinden"),
            ["server", "verbinden"]
        );
        assert_eq!(words("что было с сервером"), ["сервером"]);
    }

    #[test]
    fn words_of_other_languages_add_the_english_ones() {
        let korean = words("연결하면 검은색 화면만 뜨면서");
        assert!(korean.iter().any(|w| w == "black") && korean.iter().any(|w| w == "screen"));
        let german = words("Nach der Anmeldung nur ein schwarzer Bildschirm, Passwort stimmt");
        for english in ["black", "screen", "password"] {
            assert!(german.iter().any(|w| w == english), "{german:?}");
        }
        // Whole words only, unless a stem: "sessions" is not "sesj", "sieci" is a word.
        assert!(!words("reduce the red value").iter().any(|w| w == "network"));
        assert!(words("brak sieci").iter().any(|w| w == "network"));
    }
}
