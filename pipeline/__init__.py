"""policy-obligations: who must do what by when, from Chinese and English policy pages.

The package is flat, one module per stage of the data flow:

    decode      bytes -> text (encoding detection)
    boilerplate web page -> body lines (HTML via trafilatura, text via a line scorer)
    normalize   letter-spacing, full-width spaces, broken lines
    metadata    title, issuer, doc number, issue date, language, script
    provisions  the document's own numbered hierarchy
    ingest      a file -> a Document (all of the above)
    segment     jieba (or HanLP) with the government-body lexicon
    actors      actor mentions (lexicon + prefix/suffix grammar; English noun phrases)
    deadlines   deadline mentions and their normalisation
    extract_zh  Chinese assignment patterns -> candidate obligations
    extract_en  English assignment patterns -> candidate obligations
    extract     a Document -> mentions + candidate obligations
    confidence  the learned candidate scorer (scikit-learn, stored as plain JSON)
    tables      Arrow schemas and Parquet writing
    evaluate    scoring against gold (the rules of annotations/SCHEMA.md)
    cli         the `obligations` command
"""

__version__ = "0.1.0"
