"""The store's SQLite schema, versioned with `PRAGMA user_version`: each entry of
MIGRATIONS upgrades the schema from version i to i + 1, so a newer rifkb opens a corpus an
older one made. Append, never edit."""

# Each entry upgrades the schema from version i to i + 1. Append, never edit.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE records (
        uid TEXT PRIMARY KEY,
        pmid TEXT UNIQUE,
        doi TEXT,
        title_key TEXT,
        revision_date TEXT,
        retracted INTEGER NOT NULL DEFAULT 0,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX records_doi ON records(doi);
    CREATE INDEX records_title_key ON records(title_key);
    CREATE TABLE record_versions (
        uid TEXT NOT NULL, revision_date TEXT, replaced_at TEXT NOT NULL, data TEXT NOT NULL
    );
    CREATE INDEX record_versions_uid ON record_versions(uid);
    CREATE TABLE aliases (alias TEXT PRIMARY KEY, uid TEXT NOT NULL);
    CREATE TABLE provenance (
        uid TEXT NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL,
        first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
        PRIMARY KEY (uid, kind, source)
    );
    CREATE TABLE merges (
        id INTEGER PRIMARY KEY, uid TEXT NOT NULL, duplicate TEXT NOT NULL,
        matched_on TEXT NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL
    );
    CREATE TABLE searches (
        name TEXT PRIMARY KEY, watermark TEXT, last_run TEXT, last_status TEXT
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY, search TEXT NOT NULL, started TEXT NOT NULL, finished TEXT,
        full INTEGER NOT NULL, mindate TEXT, maxdate TEXT, hits INTEGER, new INTEGER,
        updated INTEGER, unchanged INTEGER, failed INTEGER, failed_pmids TEXT, status TEXT
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
    """,
    """
    CREATE TABLE extractions (
        uid TEXT PRIMARY KEY, version TEXT NOT NULL, record_hash TEXT NOT NULL,
        extracted_at TEXT NOT NULL, data TEXT NOT NULL
    );
    CREATE TABLE extraction_failures (
        uid TEXT PRIMARY KEY, version TEXT NOT NULL, record_hash TEXT NOT NULL,
        failed_at TEXT NOT NULL, message TEXT NOT NULL
    );
    """,
    # The rule set each extraction was made with, so that readers load the same one;
    # '' for extractions stored before, until the next `rifkb extract` names it.
    """
    ALTER TABLE extractions ADD COLUMN rules_location TEXT NOT NULL DEFAULT '';
    ALTER TABLE extractions ADD COLUMN rules_fingerprint TEXT NOT NULL DEFAULT '';
    """,
    # Duplicates inside one source (a file listing a paper twice) are merges too, marked so
    # that `rifkb status` counts them among the duplicates removed.
    """
    ALTER TABLE merges ADD COLUMN same_source INTEGER NOT NULL DEFAULT 0;
    """,
    # What reviewers decide and correct: append-only histories, the latest row counting,
    # kept apart from the extractions so that a re-extraction never touches them.
    """
    CREATE TABLE screening (
        id INTEGER PRIMARY KEY, uid TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT,
        reviewer TEXT NOT NULL, at TEXT NOT NULL
    );
    CREATE INDEX screening_uid ON screening(uid);
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY, uid TEXT NOT NULL, op TEXT NOT NULL, target TEXT NOT NULL,
        value TEXT, was TEXT, reason TEXT, reviewer TEXT NOT NULL, at TEXT NOT NULL
    );
    CREATE INDEX corrections_uid ON corrections(uid);
    """,
    # `rifkb scan`: the records an update file's DeleteCitation removed (their last data
    # is kept in record_versions), and every PubMed file scanned, so that a file already
    # scanned with the same pipeline and rules is skipped and a killed scan resumes.
    """
    CREATE TABLE deletions (
        id INTEGER PRIMARY KEY, uid TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL
    );
    CREATE INDEX deletions_uid ON deletions(uid);
    CREATE TABLE scans (
        id INTEGER PRIMARY KEY, file TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
        sha256 TEXT NOT NULL, version TEXT NOT NULL, rules_fingerprint TEXT NOT NULL,
        started TEXT NOT NULL, finished TEXT NOT NULL, records_read INTEGER NOT NULL,
        kept INTEGER NOT NULL, new INTEGER NOT NULL, updated INTEGER NOT NULL,
        unchanged INTEGER NOT NULL, deleted INTEGER NOT NULL, failed INTEGER NOT NULL
    );
    CREATE INDEX scans_file ON scans(file);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
