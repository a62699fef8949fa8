"""Row format in words, shared by the extractor and the one-off rewrite of tables/*.json:
NUT's snmp_info_t fields become `multiplier` (numeric rows, omitted when 1), `stringLength`
(string rows), `writable`, and a converter named on the row (`convert`, `parse`) instead of a
one-entry "dummy" lookup that only carried the C function pointer."""


def converter_lookup(entries):
    """The converter a lookup stands for, or None when it is a real value table."""
    if len(entries) == 1 and ('convert' in entries[0] or 'parse' in entries[0]):
        return {k: entries[0][k] for k in ('convert', 'parse') if k in entries[0]}
    if any('convert' in e or 'parse' in e for e in entries):
        raise ValueError('a lookup mixes values and converters')
    return None


def row_in_words(row, lookups):
    """Old row (len, rw, string, info_flags, lookup) -> new row; lookups: name -> entries."""
    if row.get('info_flags', 0) & ~3:
        raise ValueError(f"row {row['name']}: info_flags beyond RW/STRING")
    out = {'name': row['name']}
    if 'oid' in row:
        out['oid'] = row['oid']
    length = row['len']
    if row.get('string'):
        out['string'] = True
        out['stringLength'] = int(length) if float(length).is_integer() else length
    elif length != 1:
        out['multiplier'] = int(length) if float(length).is_integer() else length
    if row.get('rw'):
        out['writable'] = True
    if 'default' in row:
        out['default'] = row['default']
    if 'flags' in row:
        out['flags'] = row['flags']
    if 'lookup' in row:
        conv = converter_lookup(lookups[row['lookup']])
        if conv is None:
            out['lookup'] = row['lookup']
        else:
            out.update(conv)
            if row.get('rw'):
                # NUT publishes the converter lookup's placeholder text as the enum of a
                # writable row: keep that lookup (value/text only) for the enum.
                out['lookup'] = row['lookup']
    return out


def table_in_words(doc):
    lookups = doc.get('lookups', {})
    doc['rows'] = [row_in_words(r, lookups) for r in doc['rows']]
    kept = {r['lookup'] for r in doc['rows'] if 'lookup' in r}
    doc['lookups'] = {
        n: es if converter_lookup(es) is None else [{'value': e['value'], 'text': e['text']} for e in es]
        for n, es in lookups.items() if n in kept
    }
    return doc


if __name__ == '__main__':
    import glob, json, os, sys
    sys.path.insert(0, os.path.dirname(__file__))
    from importlib import import_module
    compact = import_module('table_layout').compact
    for path in sys.argv[1:] or sorted(glob.glob(os.path.join(os.path.dirname(__file__), '..', 'tables', '*.json'))):
        with open(path) as fh:
            doc = json.load(fh)
        if any('len' in r for r in doc['rows']):
            text = compact(table_in_words(doc))
            with open(path, 'w') as fh:
                fh.write(text)
