#!/usr/bin/env python3
"""Simple labelled boilerplate: a second independent hold-out set for the guard's fidelity bench (bench/fidelity.py).

Writes --out as JSON lines, one document per line: {"id", "text", "domain", "label": "boilerplate", "kind",
"source": "generated"}; 6 templated documents per kind, 300 to 1700 characters each. The kinds were written
without looking at the project's guard or its calibration set (tests/fixtures/calibration), so that they judge
the guard from outside. Kinds per domain:

  general (8)  related_posts, seo_city_spam, people_also_search, cookie_consent_repeat, faq_one_line,
               baby_names, dog_breed_facts, vocab_flashcards
  code (8)     http_header_dump, env_var_dump, properties_file, yaml_item_list, xml_records, directory_tree,
               db_schema_listing, function_index
  math (8)     arithmetic_drills, roman_numerals, ascii_table, periodic_elements, planet_facts, size_chart,
               unit_price_table, mountain_heights

Standard library only and deterministic (a fixed seed per kind); no file of the machine is read.
Licence: the generated text is Apache-2.0, as the project.

    python bench/boilerplate_simple.py --out DIR/holdout2.jsonl
"""

import argparse
import json
import random
import zlib
from pathlib import Path

DOCS_PER_KIND = 6
MIN_LEN, MAX_LEN = 300, 1500


def fill(rng, head, row_fn, lo=MIN_LEN, hi=MAX_LEN, tail="", sep="\n"):
    """Append rows from row_fn(i) until a random target length is reached."""
    target = rng.randint(lo, hi)
    parts = [head] if head else []
    i = 0
    while True:
        row = row_fn(i)
        if row is None:
            break
        cand = sep.join(parts + [row]) + tail
        if len(cand) > hi + 100 and len(sep.join(parts)) >= lo:
            break
        parts.append(row)
        i += 1
        if len(sep.join(parts)) + len(tail) >= target:
            break
    return sep.join(parts) + tail


def cycler(rng, pool):
    """Rows drawn without replacement from a shuffled copy of pool."""
    items = list(pool)
    rng.shuffle(items)
    return lambda i: items[i] if i < len(items) else None


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
CITIES = [
    "Austin",
    "Denver",
    "Portland",
    "Leeds",
    "Bristol",
    "Toronto",
    "Calgary",
    "Phoenix",
    "Tampa",
    "Dublin",
    "Melbourne",
    "Perth",
    "Columbus",
    "Raleigh",
    "Sacramento",
    "Boise",
    "Omaha",
    "Tucson",
    "Cardiff",
    "Glasgow",
    "Ottawa",
    "Nashville",
    "Charlotte",
    "Madison",
    "Spokane",
    "Reno",
    "Auckland",
]
COUNTRIES = [
    "Canada",
    "Germany",
    "France",
    "Australia",
    "Japan",
    "Brazil",
    "Mexico",
    "Spain",
    "Italy",
    "Norway",
    "Sweden",
    "Ireland",
    "India",
    "Poland",
    "Portugal",
    "Netherlands",
    "New Zealand",
    "South Africa",
    "Chile",
    "Austria",
]

# ----------------------------------------------------------------- general


def k_related_posts(rng):
    adjs = ["Simple", "Proven", "Easy", "Clever", "Genius", "Quick", "Essential", "Smart"]
    verbs = ["Organize", "Upgrade", "Clean", "Decorate", "Refresh", "Declutter", "Improve", "Protect"]
    nouns = [
        "Kitchen",
        "Garden",
        "Home Office",
        "Closet",
        "Garage",
        "Bathroom",
        "Balcony",
        "Living Room",
        "Budget",
        "Morning Routine",
        "Wardrobe",
        "Pantry",
    ]
    tmpls = [
        "{n} {adj} Ways to {verb} Your {noun}",
        "How to {verb} Your {noun} in {m} Easy Steps",
        "The {adj} Guide to a Better {noun} ({y} Update)",
        "{n} {adj} {noun} Ideas You Need to Try",
        "Why You Should {verb} Your {noun} This Year",
    ]
    head = rng.choice(["Related Posts", "You May Also Like", "More From This Blog", "Recommended For You"])
    style = rng.randint(0, 2)

    def row(i):
        t = rng.choice(tmpls).format(
            n=rng.randint(5, 25),
            m=rng.randint(3, 9),
            adj=rng.choice(adjs),
            verb=rng.choice(verbs),
            noun=rng.choice(nouns),
            y=rng.randint(2019, 2024),
        )
        date = f"{rng.choice(MONTHS)} {rng.randint(1, 28)}, {rng.randint(2019, 2024)}"
        c = rng.randint(0, 60)
        if style == 0:
            return f"» {t}\n  {date} · {c} comments"
        if style == 1:
            return f"- {t} ({date}) | Read more →"
        return f"{t}\nPosted on {date} by admin | {c} Comments | Continue reading"

    return fill(rng, head, row, sep="\n" if style == 1 else "\n\n")


def k_seo_city(rng):
    services = [
        "plumber",
        "roofing contractor",
        "dentist",
        "locksmith",
        "carpet cleaning",
        "HVAC repair",
        "moving company",
        "pest control",
        "dog grooming",
        "auto glass repair",
    ]
    s = rng.choice(services)
    S = s.title()
    cities = list(CITIES)
    rng.shuffle(cities)
    tmpl = rng.choice(
        [
            "Best {S} in {c}\nLooking for the best {s} in {c}? Our {c} {s} experts offer affordable "
            "{s} in {c} and nearby areas. Call today for the best {s} {c} has to offer!",
            "{S} {c} | Top Rated {S} Near Me\nWe are the #1 {s} in {c}. Cheap {s} {c}, emergency "
            "{s} {c}, local {s} near {c}. Free quote for {s} in {c}.",
            "Affordable {S} Services in {c}\nNeed a {s} in {c}? Trusted {c} {s}. Best {s} near {c}. {S} {c} open 24/7.",
        ]
    )
    head = f"Top {S} Near You - Find the Best {S} in Your City"
    return fill(rng, head, lambda i: tmpl.format(s=s, S=S, c=cities[i]) if i < len(cities) else None, sep="\n\n")


def k_people_also_search(rng):
    topics = [
        "pizza delivery",
        "yoga classes",
        "car insurance",
        "used cars",
        "hair salon",
        "coffee shop",
        "gym membership",
        "wedding venues",
        "phone repair",
        "storage units",
    ]
    t = rng.choice(topics)
    mods = [
        "{t} near me",
        "cheap {t}",
        "best {t}",
        "{t} {c}",
        "{t} open now",
        "{t} reviews",
        "{t} prices",
        "{t} {y}",
        "24 hour {t}",
        "{t} deals",
        "{t} in {c}",
        "top rated {t}",
        "{t} coupons",
        "{t} for beginners",
        "{t} near {c}",
        "affordable {t}",
        "{t} {c} reviews",
        "{t} open sunday",
        "local {t}",
        "{t} cost",
    ]
    head = rng.choice(
        ["People also search for", "Related searches", "People also ask about", "Searches related to " + t]
    )
    bullet = rng.choice(["", "• ", "- ", "> "])

    def row(i):
        return bullet + rng.choice(mods).format(t=t, c=rng.choice(CITIES), y=rng.randint(2020, 2024))

    return fill(rng, head, row)


def k_cookie_consent(rng):
    sections = [
        "Home",
        "About Us",
        "Products",
        "Services",
        "Blog",
        "Careers",
        "Support",
        "Pricing",
        "Press",
        "Partners",
        "Contact",
        "Resources",
        "Team",
        "Events",
    ]
    rng.shuffle(sections)
    banner = rng.choice(
        [
            "This website uses cookies to improve your experience. By continuing to browse, you "
            "agree to our use of cookies. [Accept all] [Reject] [Cookie settings]",
            "We value your privacy. We and our partners use cookies to personalise content and ads. "
            "[I agree] [Manage options] Read our Cookie Policy.",
            "Cookies help us deliver our services. By using our services, you agree to our use of "
            "cookies. [OK] [Learn more]",
        ]
    )
    site = rng.choice(["Brightline", "Northpeak", "Evergreen Labs", "Bluefin", "Maple & Co"])

    def row(i):
        if i >= len(sections):
            return None
        return f"{sections[i]} | {site}\n{banner}"

    return fill(rng, "", row, sep="\n\n")


def k_faq_oneline(rng):
    qa = [
        ("Do you ship to {c}?", "Yes, we ship to {c} within {n} business days."),
        ("How long does delivery to {c} take?", "Delivery to {c} takes {n}-{m} business days."),
        ("Can I pay in {cur}?", "Yes, we accept payments in {cur}."),
        ("Is there a store in {city}?", "No, we do not have a store in {city} at the moment."),
        ("What is the return period?", "You can return items within {d} days."),
        ("Do you offer gift wrapping?", "Yes, gift wrapping is available for ${p}."),
        ("Is shipping free?", "Shipping is free on orders over ${q}."),
        ("Do you have a warranty?", "All products come with a {w}-year warranty."),
        ("Can I change my order?", "Yes, within {h} hours of placing it."),
        ("Do you ship to {c} on weekends?", "No, orders to {c} ship Monday to Friday."),
    ]
    curs = ["EUR", "GBP", "CAD", "AUD", "JPY", "USD"]
    head = rng.choice(["Frequently Asked Questions", "FAQ", "Shipping FAQ", "Help Center - FAQ"])
    fmt = rng.randint(0, 1)

    def row(i):
        q, a = rng.choice(qa)
        kw = dict(
            c=rng.choice(COUNTRIES),
            n=rng.randint(2, 6),
            m=rng.randint(7, 14),
            cur=rng.choice(curs),
            city=rng.choice(CITIES),
            d=rng.choice([14, 30, 60]),
            p=rng.choice([3, 4, 5]),
            q=rng.choice([35, 50, 75, 100]),
            w=rng.randint(1, 3),
            h=rng.choice([2, 12, 24]),
        )
        q, a = q.format(**kw), a.format(**kw)
        return f"Q: {q}\nA: {a}" if fmt == 0 else f"{q} - {a}"

    return fill(rng, head, row, sep="\n\n" if fmt == 0 else "\n")


BABY_NAMES = [
    ("Amelia", "Girl", "Germanic", "work"),
    ("Olivia", "Girl", "Latin", "olive tree"),
    ("Sophia", "Girl", "Greek", "wisdom"),
    ("Chloe", "Girl", "Greek", "blooming"),
    ("Isla", "Girl", "Scottish", "island"),
    ("Maya", "Girl", "Sanskrit", "illusion"),
    ("Zoe", "Girl", "Greek", "life"),
    ("Nora", "Girl", "Irish", "honor"),
    ("Lucy", "Girl", "Latin", "light"),
    ("Hannah", "Girl", "Hebrew", "grace"),
    ("Iris", "Girl", "Greek", "rainbow"),
    ("Stella", "Girl", "Latin", "star"),
    ("Leah", "Girl", "Hebrew", "weary"),
    ("Freya", "Girl", "Norse", "lady"),
    ("Clara", "Girl", "Latin", "bright"),
    ("Naomi", "Girl", "Hebrew", "pleasantness"),
    ("Liam", "Boy", "Irish", "strong-willed warrior"),
    ("Noah", "Boy", "Hebrew", "rest"),
    ("Ethan", "Boy", "Hebrew", "strong"),
    ("Lucas", "Boy", "Latin", "from Lucania"),
    ("Oscar", "Boy", "Irish", "deer friend"),
    ("Felix", "Boy", "Latin", "lucky"),
    ("Leo", "Boy", "Latin", "lion"),
    ("Owen", "Boy", "Welsh", "young warrior"),
    ("Caleb", "Boy", "Hebrew", "faithful"),
    ("Miles", "Boy", "Latin", "soldier"),
    ("Henry", "Boy", "Germanic", "ruler of the home"),
    ("Jasper", "Boy", "Persian", "treasurer"),
    ("Arthur", "Boy", "Celtic", "bear"),
    ("Theo", "Boy", "Greek", "divine gift"),
    ("Silas", "Boy", "Latin", "of the forest"),
    ("Ezra", "Boy", "Hebrew", "help"),
    ("Finn", "Boy", "Irish", "fair"),
    ("Hugo", "Boy", "Germanic", "mind"),
    ("Riley", "Unisex", "Irish", "courageous"),
    ("Avery", "Unisex", "English", "ruler of elves"),
    ("Quinn", "Unisex", "Irish", "wise"),
    ("Rowan", "Unisex", "Gaelic", "little red one"),
]


def k_baby_names(rng):
    head = rng.choice(
        ["Baby Names and Meanings", "Popular Baby Names A-Z", "Baby Name Finder: Results", "Top Baby Names This Year"]
    )
    style = rng.randint(0, 2)

    def row_fmt(t):
        n, g, o, m = t
        if style == 0:
            return f'{n} - {g} - Origin: {o} - Meaning: "{m}"'
        if style == 1:
            return f"{n} ({g}, {o}): {m}"
        return f"Name: {n}\nGender: {g}\nOrigin: {o}\nMeaning: {m}\n"

    nxt = cycler(rng, BABY_NAMES)
    return fill(rng, head, lambda i: None if nxt(i) is None else row_fmt(nxt(i)))


DOG_BREEDS = [
    ("Labrador Retriever", "large", "Canada", "retrieving game"),
    ("German Shepherd", "large", "Germany", "herding sheep"),
    ("Beagle", "small", "England", "hunting hares"),
    ("Dachshund", "small", "Germany", "hunting badgers"),
    ("Border Collie", "medium", "Scotland", "herding sheep"),
    ("Siberian Husky", "medium", "Russia", "pulling sleds"),
    ("Poodle", "medium", "Germany", "retrieving waterfowl"),
    ("Boxer", "large", "Germany", "guarding"),
    ("Shiba Inu", "small", "Japan", "hunting small game"),
    ("Dalmatian", "large", "Croatia", "guarding carriages"),
    ("Corgi", "small", "Wales", "herding cattle"),
    ("Great Dane", "giant", "Germany", "hunting boar"),
    ("Chihuahua", "toy", "Mexico", "companionship"),
    ("Saint Bernard", "giant", "Switzerland", "mountain rescue"),
    ("Bulldog", "medium", "England", "bull-baiting"),
    ("Whippet", "medium", "England", "racing"),
    ("Akita", "large", "Japan", "hunting bears"),
    ("Basset Hound", "medium", "France", "tracking by scent"),
    ("Pug", "toy", "China", "companionship"),
    ("Newfoundland", "giant", "Canada", "water rescue"),
    ("Vizsla", "medium", "Hungary", "pointing game"),
    ("Samoyed", "medium", "Russia", "herding reindeer"),
]


def k_dog_breeds(rng):
    head = rng.choice(["Dog Breeds A-Z", "Dog Breed Facts", "Choose Your Breed", "All Dog Breeds - Quick Facts"])
    style = rng.randint(0, 1)
    nxt = cycler(rng, DOG_BREEDS)

    def row(i):
        t = nxt(i)
        if t is None:
            return None
        b, s, c, p = t
        lo = rng.randint(8, 12)
        if style == 0:
            return f"{b}: {s} dog from {c}, originally bred for {p}. Life span {lo}-{lo + rng.randint(2, 4)} years."
        return f"{b} | Size: {s} | Origin: {c} | Bred for: {p}"

    return fill(rng, head, row)


VOCAB = [
    ("apple", "la manzana", "la pomme", "der Apfel"),
    ("house", "la casa", "la maison", "das Haus"),
    ("dog", "el perro", "le chien", "der Hund"),
    ("cat", "el gato", "le chat", "die Katze"),
    ("book", "el libro", "le livre", "das Buch"),
    ("water", "el agua", "l'eau", "das Wasser"),
    ("bread", "el pan", "le pain", "das Brot"),
    ("car", "el coche", "la voiture", "das Auto"),
    ("tree", "el árbol", "l'arbre", "der Baum"),
    ("door", "la puerta", "la porte", "die Tür"),
    ("window", "la ventana", "la fenêtre", "das Fenster"),
    ("table", "la mesa", "la table", "der Tisch"),
    ("chair", "la silla", "la chaise", "der Stuhl"),
    ("sun", "el sol", "le soleil", "die Sonne"),
    ("moon", "la luna", "la lune", "der Mond"),
    ("school", "la escuela", "l'école", "die Schule"),
    ("friend", "el amigo", "l'ami", "der Freund"),
    ("city", "la ciudad", "la ville", "die Stadt"),
    ("milk", "la leche", "le lait", "die Milch"),
    ("street", "la calle", "la rue", "die Straße"),
    ("bird", "el pájaro", "l'oiseau", "der Vogel"),
    ("flower", "la flor", "la fleur", "die Blume"),
    ("cheese", "el queso", "le fromage", "der Käse"),
    ("key", "la llave", "la clé", "der Schlüssel"),
    ("train", "el tren", "le train", "der Zug"),
    ("night", "la noche", "la nuit", "die Nacht"),
    ("money", "el dinero", "l'argent", "das Geld"),
    ("river", "el río", "la rivière", "der Fluss"),
    ("shoe", "el zapato", "la chaussure", "der Schuh"),
    ("kitchen", "la cocina", "la cuisine", "die Küche"),
]


def k_vocab_flashcards(rng):
    li = rng.randint(1, 3)
    lang = ["", "Spanish", "French", "German"][li]
    style = rng.randint(0, 2)
    head = f"{lang} Vocabulary Flashcards - Set {rng.randint(1, 12)}"
    nxt = cycler(rng, VOCAB)

    def row(i):
        t = nxt(i)
        if t is None:
            return None
        if style == 0:
            return f"Card {i + 1}\nFront: {t[li]}\nBack: {t[0]}\n"
        if style == 1:
            return f"{t[li]} - {t[0]}"
        return f"{t[0]} = {t[li]}"

    return fill(rng, head, row)


# -------------------------------------------------------------------- code


def k_http_headers(rng):
    statuses = ["200 OK", "200 OK", "304 Not Modified", "301 Moved Permanently", "404 Not Found"]
    ctypes = ["text/html; charset=UTF-8", "application/json", "text/css", "image/png", "application/javascript"]
    servers = ["nginx/1.24.0", "Apache/2.4.57 (Ubuntu)", "cloudflare", "gunicorn", "envoy"]
    caches = ["no-cache", "max-age=3600", "public, max-age=86400", "private, no-store"]
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    mons = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    server = rng.choice(servers)

    def row(i):
        h, m, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
        lines = [
            f"HTTP/1.1 {rng.choice(statuses)}",
            f"Date: {rng.choice(days)}, {rng.randint(1, 28):02d} {rng.choice(mons)} 2024 {h:02d}:{m:02d}:{s:02d} GMT",
            f"Server: {server}",
            f"Content-Type: {rng.choice(ctypes)}",
            f"Content-Length: {rng.randint(120, 98000)}",
            f"Connection: {rng.choice(['keep-alive', 'close'])}",
            f"Cache-Control: {rng.choice(caches)}",
            f'ETag: "{rng.getrandbits(48):012x}"',
        ]
        if rng.random() < 0.5:
            lines.append("X-Content-Type-Options: nosniff")
        if rng.random() < 0.5:
            lines.append(f"Vary: {rng.choice(['Accept-Encoding', 'Origin', 'Cookie'])}")
        return "\n".join(lines) + "\n"

    return fill(rng, "", row)


def k_env_dump(rng):
    app = rng.choice(["APP", "MYSVC", "BILLING", "WEB", "API", "WORKER"])
    user = rng.choice(["ubuntu", "deploy", "alice", "runner", "app"])
    base = [
        f"HOME=/home/{user}",
        f"USER={user}",
        "SHELL=/bin/bash",
        "LANG=en_US.UTF-8",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "TERM=xterm-256color",
        f"PWD=/home/{user}/src",
        f"LOGNAME={user}",
        "SHLVL=1",
        "TZ=UTC",
        "EDITOR=vim",
        f"HOSTNAME={rng.choice(['web', 'ip-10-0-1', 'node'])}-{rng.randint(1, 99):02d}",
    ]
    keys = [
        ("DB_HOST", lambda: rng.choice(["localhost", "db.internal", "10.0.3.12"])),
        ("DB_PORT", lambda: str(rng.choice([5432, 3306, 27017]))),
        ("DB_NAME", lambda: rng.choice(["prod", "main", "app_db"])),
        ("DB_USER", lambda: rng.choice(["app", "svc", "readonly"])),
        ("REDIS_URL", lambda: f"redis://cache:{6379}/{rng.randint(0, 3)}"),
        ("LOG_LEVEL", lambda: rng.choice(["info", "debug", "warn"])),
        ("PORT", lambda: str(rng.choice([3000, 8000, 8080]))),
        ("WORKERS", lambda: str(rng.randint(2, 16))),
        ("TIMEOUT", lambda: str(rng.choice([30, 60, 120]))),
        ("ENV", lambda: rng.choice(["production", "staging", "dev"])),
        ("DEBUG", lambda: rng.choice(["false", "0"])),
        ("CACHE_TTL", lambda: str(rng.choice([60, 300, 3600]))),
        ("S3_BUCKET", lambda: rng.choice(["assets-prod", "uploads", "backups-eu"])),
        ("REGION", lambda: rng.choice(["us-east-1", "eu-west-1", "ap-south-1"])),
        ("MAX_UPLOAD_MB", lambda: str(rng.choice([10, 25, 100]))),
        ("FEATURE_NEW_UI", lambda: rng.choice(["true", "false"])),
        ("SMTP_HOST", lambda: "smtp.mail.internal"),
        ("SMTP_PORT", lambda: "587"),
        ("QUEUE_NAME", lambda: rng.choice(["default", "jobs", "emails"])),
        ("METRICS_PORT", lambda: "9100"),
    ]
    rows = base + [f"{app}_{k}={f()}" for k, f in keys]
    rng.shuffle(rows)
    if rng.random() < 0.5:
        rows.sort()
    prefix = rng.choice(["", "declare -x ", "export "])
    return fill(rng, rng.choice(["$ env", "$ printenv", ""]), lambda i: prefix + rows[i] if i < len(rows) else None)


def k_properties_file(rng):
    root = rng.choice(["app", "spring", "server", "service", "com.example"])
    mods = ["datasource", "cache", "mail", "security", "logging", "http", "jobs", "storage"]
    rng.shuffle(mods)
    keys = {
        "url": lambda: rng.choice(["jdbc:postgresql://localhost:5432/app", "http://localhost:8080"]),
        "enabled": lambda: rng.choice(["true", "false"]),
        "timeout": lambda: str(rng.choice([1000, 5000, 30000])),
        "max-size": lambda: str(rng.choice([10, 50, 100, 500])),
        "username": lambda: rng.choice(["admin", "app", "svc"]),
        "retry.count": lambda: str(rng.randint(1, 5)),
        "pool.size": lambda: str(rng.choice([5, 10, 20])),
        "level": lambda: rng.choice(["INFO", "DEBUG", "WARN"]),
        "host": lambda: rng.choice(["localhost", "127.0.0.1", "smtp.example.com"]),
        "port": lambda: str(rng.choice([25, 587, 6379, 8080])),
    }
    kn = sorted(keys)

    def row(i):
        if i >= len(mods):
            return None
        ks = rng.sample(kn, rng.randint(3, 6))
        lines = [f"# {mods[i].capitalize()} settings"]
        lines += [f"{root}.{mods[i]}.{k}={keys[k]()}" for k in ks]
        return "\n".join(lines) + "\n"

    return fill(rng, f"# {rng.choice(['application', 'config', 'messages'])}.properties", row)


def k_yaml_items(rng):
    names = [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
        "india",
        "juliet",
        "kilo",
        "lima",
        "mike",
        "november",
        "oscar",
        "papa",
    ]
    tags = ["web", "db", "cache", "batch", "internal", "public", "beta", "critical"]
    kind = rng.choice(["services", "items", "users", "jobs", "plugins"])
    start = rng.randint(1, 500)

    def row(i):
        if i >= len(names):
            return None
        t = rng.sample(tags, 2)
        lines = [
            f"  - name: {names[i]}",
            f"    id: {start + i}",
            f"    enabled: {rng.choice(['true', 'false'])}",
            f"    tags: [{t[0]}, {t[1]}]",
        ]
        if kind in ("services", "jobs"):
            lines.append(f"    replicas: {rng.randint(1, 5)}")
        return "\n".join(lines)

    return fill(rng, f"{kind}:", row)


def k_xml_records(rng):
    first = [
        "Anna",
        "Ben",
        "Carla",
        "David",
        "Eva",
        "Frank",
        "Grace",
        "Hiro",
        "Ines",
        "Jonas",
        "Kara",
        "Liam",
        "Mira",
        "Nils",
        "Olga",
        "Pedro",
    ]
    last = ["Smith", "Jones", "Müller", "Garcia", "Chen", "Novak", "Silva", "Kim", "Brown", "Rossi"]
    depts = ["Sales", "Engineering", "Support", "Finance", "Marketing", "HR"]
    base = rng.randint(1000, 9000)

    def row(i):
        return (
            f'  <record id="{base + i}">\n'
            f"    <name>{rng.choice(first)} {rng.choice(last)}</name>\n"
            f"    <department>{rng.choice(depts)}</department>\n"
            f"    <active>{rng.choice(['true', 'false'])}</active>\n"
            f"  </record>"
        )

    root = rng.choice(["records", "employees", "dataset"])
    return fill(rng, f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>', row, tail=f"\n</{root}>")


def k_dir_tree(rng):
    dirs = [
        "src",
        "lib",
        "tests",
        "docs",
        "utils",
        "models",
        "api",
        "config",
        "static",
        "components",
        "handlers",
        "scripts",
    ]
    ext = rng.choice([".py", ".js", ".go", ".ts", ".rb"])
    fnames = [
        "index",
        "main",
        "utils",
        "config",
        "helpers",
        "types",
        "client",
        "server",
        "routes",
        "base",
        "errors",
        "constants",
        "auth",
        "cache",
    ]
    lines = [rng.choice(["my-project", "app", "backend", "toolkit"]) + "/"]
    counts = [0, 0]

    def walk(prefix, depth):
        n_d = rng.randint(1, 3) if depth < 2 else 0
        ds = rng.sample(dirs, n_d)
        fs = rng.sample(fnames, rng.randint(2, 5))
        entries = [(d + "/", True) for d in sorted(ds)] + [(f + ext, False) for f in sorted(fs)]
        for j, (name, is_dir) in enumerate(entries):
            last = j == len(entries) - 1
            lines.append(prefix + ("└── " if last else "├── ") + name)
            if is_dir:
                counts[0] += 1
                walk(prefix + ("    " if last else "│   "), depth + 1)
            else:
                counts[1] += 1

    walk("", 0)
    # full tree (no truncation) so the summary line stays consistent
    return "\n".join(lines) + f"\n\n{counts[0]} directories, {counts[1]} files"


def k_db_schema(rng):
    tables = [
        "users",
        "orders",
        "products",
        "invoices",
        "sessions",
        "comments",
        "payments",
        "addresses",
        "categories",
        "reviews",
    ]
    rng.shuffle(tables)
    cols = [
        ("created_at", "TIMESTAMP", "NO", "CURRENT_TIMESTAMP"),
        ("updated_at", "TIMESTAMP", "YES", "NULL"),
        ("name", "VARCHAR(255)", "NO", ""),
        ("status", "VARCHAR(32)", "NO", "'active'"),
        ("amount", "DECIMAL(10,2)", "NO", "0.00"),
        ("email", "VARCHAR(255)", "NO", ""),
        ("is_deleted", "BOOLEAN", "NO", "FALSE"),
        ("notes", "TEXT", "YES", "NULL"),
        ("quantity", "INT", "NO", "1"),
    ]

    def row(i):
        if i >= len(tables):
            return None
        t = tables[i]
        lines = [
            f"Table: {t}",
            f"  {'column':<14}{'type':<16}{'null':<6}default",
            f"  {'id':<14}{'BIGINT':<16}{'NO':<6}AUTO_INCREMENT",
        ]
        for c in rng.sample(cols, rng.randint(2, 5)):
            lines.append(f"  {c[0]:<14}{c[1]:<16}{c[2]:<6}{c[3]}")
        return "\n".join(lines) + "\n"

    return fill(rng, "", row)


def k_function_index(rng):
    verbs = [
        ("parse", "Parses"),
        ("get", "Returns"),
        ("set", "Sets"),
        ("load", "Loads"),
        ("save", "Saves"),
        ("validate", "Validates"),
        ("format", "Formats"),
        ("create", "Creates"),
        ("delete", "Deletes"),
        ("encode", "Encodes"),
        ("decode", "Decodes"),
        ("find", "Finds"),
        ("update", "Updates"),
        ("reset", "Resets"),
    ]
    objs = [
        "header",
        "config",
        "user",
        "token",
        "buffer",
        "record",
        "path",
        "session",
        "message",
        "cache",
        "field",
        "node",
        "date",
        "url",
    ]
    args = ["buf", "len", "key", "value", "opts", "path", "id", "ctx", "flags", "data"]
    sep = rng.choice([" — ", " - ", ": "])
    style = rng.choice(["snake", "camel"])
    seen = set()
    mod = rng.choice(["strutil", "netlib", "core", "io", "store"])

    def row(i):
        for _ in range(50):
            (v, V), o = rng.choice(verbs), rng.choice(objs)
            name = f"{v}_{o}" if style == "snake" else v + o.capitalize()
            if name not in seen:
                seen.add(name)
                break
        else:
            return None
        a = ", ".join(rng.sample(args, rng.randint(1, 3)))
        return f"{name}({a}){sep}{V} the {o}."

    return fill(rng, f"Function Index — {mod}", row)


# -------------------------------------------------------------------- math


def k_arith_drills(rng):
    style = rng.randint(0, 2)
    hi = rng.choice([10, 20, 50, 100])
    head = rng.choice(
        ["Addition and Subtraction Practice", f"Number Facts to {hi}", "Daily Drill", "Mental Math Warm-up"]
    )

    def row(i):
        a, b = rng.randint(1, hi), rng.randint(1, hi)
        if rng.random() < 0.5:
            s = f"{a} + {b} = {a + b}"
        else:
            a, b = max(a, b), min(a, b)
            s = f"{a} - {b} = {a - b}"
        return f"{i + 1}. {s}" if style == 1 else s

    return fill(rng, head, row, sep="\n" if style != 2 else "    ")


def roman(n):
    vals = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ]
    out = ""
    for v, s in vals:
        while n >= v:
            out += s
            n -= v
    return out


def k_roman(rng):
    start = rng.choice([1, 1, 50, 100, 1990, 400])
    step = rng.choice([1, 1, 1, 5, 10])
    style = rng.randint(0, 2)
    head = rng.choice(["Roman Numerals Chart", f"Roman Numerals {start} and Up", "Roman Numeral Converter Table"])

    def row(i):
        n = start + i * step
        if n > 3999:
            return None
        if style == 0:
            return f"{n} = {roman(n)}"
        if style == 1:
            return f"{n}\t{roman(n)}"
        return f"| {n} | {roman(n)} |"

    return fill(rng, head, row)


def k_ascii_table(rng):
    start = rng.choice([32, 48, 65, 97, 33])
    style = rng.randint(0, 1)
    head = "Dec  Hex  Oct  Char" if style == 0 else "| Dec | Hex | Binary | Char |\n|---|---|---|---|"

    def row(i):
        n = start + i
        if n > 126:
            return None
        ch = "SPACE" if n == 32 else chr(n)
        if style == 0:
            return f"{n:<4} {n:02X}   {n:03o}  {ch}"
        return f"| {n} | 0x{n:02X} | {n:08b} | {ch} |"

    return fill(rng, "ASCII Table\n" + head, row)


ELEMENTS = [
    (1, "H", "Hydrogen", 1.008),
    (2, "He", "Helium", 4.0026),
    (3, "Li", "Lithium", 6.94),
    (4, "Be", "Beryllium", 9.0122),
    (5, "B", "Boron", 10.81),
    (6, "C", "Carbon", 12.011),
    (7, "N", "Nitrogen", 14.007),
    (8, "O", "Oxygen", 15.999),
    (9, "F", "Fluorine", 18.998),
    (10, "Ne", "Neon", 20.180),
    (11, "Na", "Sodium", 22.990),
    (12, "Mg", "Magnesium", 24.305),
    (13, "Al", "Aluminium", 26.982),
    (14, "Si", "Silicon", 28.085),
    (15, "P", "Phosphorus", 30.974),
    (16, "S", "Sulfur", 32.06),
    (17, "Cl", "Chlorine", 35.45),
    (18, "Ar", "Argon", 39.948),
    (19, "K", "Potassium", 39.098),
    (20, "Ca", "Calcium", 40.078),
    (21, "Sc", "Scandium", 44.956),
    (22, "Ti", "Titanium", 47.867),
    (23, "V", "Vanadium", 50.942),
    (24, "Cr", "Chromium", 51.996),
    (25, "Mn", "Manganese", 54.938),
    (26, "Fe", "Iron", 55.845),
    (27, "Co", "Cobalt", 58.933),
    (28, "Ni", "Nickel", 58.693),
    (29, "Cu", "Copper", 63.546),
    (30, "Zn", "Zinc", 65.38),
    (31, "Ga", "Gallium", 69.723),
    (32, "Ge", "Germanium", 72.630),
    (33, "As", "Arsenic", 74.922),
    (34, "Se", "Selenium", 78.971),
    (35, "Br", "Bromine", 79.904),
    (36, "Kr", "Krypton", 83.798),
]


def period_group(z):
    if z <= 2:
        return 1, (1 if z == 1 else 18)
    if z <= 10:
        g = z - 2
        return 2, (g if g <= 2 else g + 10)
    if z <= 18:
        g = z - 10
        return 3, (g if g <= 2 else g + 10)
    return 4, z - 18


def k_elements(rng):
    start = rng.randint(0, 12)
    style = rng.randint(0, 1)
    head = (
        "No.  Sym  Name          Mass      Period  Group"
        if style == 0
        else "| Z | Symbol | Element | Atomic mass |\n|---|---|---|---|"
    )

    def row(i):
        if start + i >= len(ELEMENTS):
            return None
        z, s, n, m = ELEMENTS[start + i]
        p, g = period_group(z)
        if style == 0:
            return f"{z:<4} {s:<4} {n:<13} {m:<9} {p:<7} {g}"
        return f"| {z} | {s} | {n} | {m} |"

    return fill(rng, "Periodic Table of Elements\n" + head, row)


PLANETS = [  # name, diameter km, distance AU, moons, day hours, year days, gravity m/s2
    ("Mercury", 4879, 0.39, 0, 4222.6, 88.0, 3.7),
    ("Venus", 12104, 0.72, 0, 2802.0, 224.7, 8.9),
    ("Earth", 12756, 1.00, 1, 24.0, 365.2, 9.8),
    ("Mars", 6792, 1.52, 2, 24.7, 687.0, 3.7),
    ("Jupiter", 142984, 5.20, 95, 9.9, 4331, 23.1),
    ("Saturn", 120536, 9.54, 146, 10.7, 10747, 9.0),
    ("Uranus", 51118, 19.19, 28, 17.2, 30589, 8.7),
    ("Neptune", 49528, 30.07, 16, 16.1, 59800, 11.0),
]


def k_planets(rng):
    cols = [
        ("Diameter (km)", 1),
        ("Distance from Sun (AU)", 2),
        ("Moons", 3),
        ("Day length (h)", 4),
        ("Year (Earth days)", 5),
        ("Gravity (m/s²)", 6),
    ]
    style = rng.randint(0, 2)
    pick = sorted(rng.sample(range(len(cols)), rng.randint(3, 6)))
    if style == 2:
        pick = list(range(len(cols)))
    head = rng.choice(["Planet Facts", "The Planets by the Numbers", "Solar System Data"])

    def row(i):
        if i >= len(PLANETS):
            return None
        p = PLANETS[i]
        if style == 0:
            return f"{p[0]}: " + ", ".join(f"{cols[c][0]} {p[cols[c][1]]}" for c in pick)
        if style == 1:
            return f"| {p[0]} | " + " | ".join(str(p[cols[c][1]]) for c in pick) + " |"
        return f"{p[0]}\n" + "\n".join(f"  {cols[c][0]}: {p[cols[c][1]]}" for c in pick)

    if style == 1:
        head += "\n| Planet | " + " | ".join(cols[c][0] for c in pick) + " |\n" + "|---" * (len(pick) + 1) + "|"
    return fill(rng, head, row, lo=MIN_LEN, hi=MAX_LEN)


def k_size_chart(rng):
    kind = rng.randint(0, 2)
    if kind == 2:
        head = "Shoe Size Conversion Chart\nUS   UK   EU   CM"
        us0 = rng.choice([5, 6, 7])

        def row(i):
            us = us0 + i * 0.5
            if us > 15:
                return None
            uk = us - 1
            eu = round(us + 33 + (i % 2) * 0.5, 1)
            cm = round(22.0 + (us - 5) * 0.85, 1)
            return f"{us:<4} {uk:<4} {eu:<4} {cm}"

        return fill(rng, head, row)
    sizes = ["XXS", "XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL"]
    chest0, waist0, hip0 = rng.choice([(76, 60, 84), (82, 68, 86), (86, 72, 90)])
    step = rng.choice([4, 5, 6])
    who = ["Women's", "Men's"][kind]
    head = f"{who} Size Chart (cm)\n" + ("Size | Chest | Waist | Hip | US | EU")
    us = [0, 2, 4, 6, 8, 10, 12, 14, 16] if kind == 0 else [30, 32, 34, 36, 38, 40, 42, 44, 46]
    eu = [30, 32, 34, 36, 38, 40, 42, 44, 46] if kind == 0 else [40, 42, 44, 46, 48, 50, 52, 54, 56]
    blocks = ["Tops", "Dresses", "Outerwear"] if kind == 0 else ["Shirts", "Jackets", "Knitwear"]

    def row(i):
        blk, j = divmod(i, len(sizes))
        if blk >= len(blocks):
            return None
        line = (
            f"{sizes[j]} | {chest0 + j * step}-{chest0 + j * step + step - 1} | "
            f"{waist0 + j * step}-{waist0 + j * step + step - 1} | "
            f"{hip0 + j * step}-{hip0 + j * step + step - 1} | {us[j]} | {eu[j]}"
        )
        if j == 0:
            return (f"\n{blocks[blk]}\n" if blk > 0 else f"{blocks[blk]}\n") + line
        return line

    return fill(rng, head, row)


def k_unit_price(rng):
    items = [
        ("Rice", "g"),
        ("Pasta", "g"),
        ("Coffee", "g"),
        ("Olive oil", "ml"),
        ("Milk", "ml"),
        ("Flour", "g"),
        ("Sugar", "g"),
        ("Orange juice", "ml"),
        ("Oats", "g"),
        ("Butter", "g"),
        ("Yogurt", "g"),
        ("Shampoo", "ml"),
        ("Dish soap", "ml"),
        ("Tea", "g"),
        ("Honey", "g"),
        ("Cereal", "g"),
    ]
    sizes = {"g": [250, 400, 500, 750, 1000, 2000], "ml": [250, 500, 750, 1000, 1500, 2000]}
    cur = rng.choice(["$", "£", "€"])
    base = rng.choice([100, 1000])

    def unit_lbl(u):
        return f"{base} {u}" if base == 100 else ("1 kg" if u == "g" else "1 L")

    head = f"Item | Size | Price | Price per {'100 g/ml' if base == 100 else 'kg/L'}"
    nxt = cycler(rng, items)

    def row(i):
        it = nxt(i)
        if it is None:
            return None
        name, u = it
        out = []
        for sz in sorted(rng.sample(sizes[u], rng.randint(1, 3))):
            price = round(rng.uniform(0.8, 12.0), 2)
            per = price / sz * base
            out.append(f"{name} | {sz} {u} | {cur}{price:.2f} | {cur}{per:.2f} / {unit_lbl(u)}")
        return "\n".join(out)

    return fill(rng, "Unit Price Comparison\n" + head, row)


MOUNTAINS = [
    ("Mount Everest", 8849, "Himalayas", "Nepal/China"),
    ("K2", 8611, "Karakoram", "Pakistan/China"),
    ("Kangchenjunga", 8586, "Himalayas", "Nepal/India"),
    ("Lhotse", 8516, "Himalayas", "Nepal/China"),
    ("Makalu", 8485, "Himalayas", "Nepal/China"),
    ("Cho Oyu", 8188, "Himalayas", "Nepal/China"),
    ("Aconcagua", 6961, "Andes", "Argentina"),
    ("Ojos del Salado", 6893, "Andes", "Chile/Argentina"),
    ("Denali", 6190, "Alaska Range", "USA"),
    ("Kilimanjaro", 5895, "Eastern Rift", "Tanzania"),
    ("Mount Elbrus", 5642, "Caucasus", "Russia"),
    ("Mount Logan", 5959, "Saint Elias", "Canada"),
    ("Pico de Orizaba", 5636, "Trans-Mexican Belt", "Mexico"),
    ("Mount Kenya", 5199, "Eastern Rift", "Kenya"),
    ("Mont Blanc", 4806, "Alps", "France/Italy"),
    ("Matterhorn", 4478, "Alps", "Switzerland/Italy"),
    ("Mount Whitney", 4421, "Sierra Nevada", "USA"),
    ("Mount Rainier", 4392, "Cascades", "USA"),
    ("Mount Fuji", 3776, "Fuji Volcanic Zone", "Japan"),
    ("Mount Cook", 3724, "Southern Alps", "New Zealand"),
    ("Mount Olympus", 2918, "Olympus Range", "Greece"),
    ("Ben Nevis", 1345, "Grampians", "UK"),
    ("Mount Kosciuszko", 2228, "Great Dividing Range", "Australia"),
    ("Zugspitze", 2962, "Alps", "Germany"),
]


def k_mountains(rng):
    style = rng.randint(0, 1)
    ms = list(MOUNTAINS)
    if rng.random() < 0.5:
        ms.sort(key=lambda t: -t[1])
    else:
        rng.shuffle(ms)
    head = rng.choice(["Highest Mountains - Elevation List", "Famous Peaks by Height", "Mountain Elevations (m / ft)"])

    def row(i):
        if i >= len(ms):
            return None
        n, m, r, c = ms[i]
        ft = round(m * 3.28084)
        if style == 0:
            return f"{i + 1}. {n} - {m:,} m ({ft:,} ft) - {r}, {c}"
        return f"{n} | {m} m | {ft} ft | {c}"

    return fill(rng, head, row)


# ------------------------------------------------------------------- driver

KINDS = [
    ("related_posts", "general", k_related_posts),
    ("seo_city_spam", "general", k_seo_city),
    ("people_also_search", "general", k_people_also_search),
    ("cookie_consent_repeat", "general", k_cookie_consent),
    ("faq_one_line", "general", k_faq_oneline),
    ("baby_names", "general", k_baby_names),
    ("dog_breed_facts", "general", k_dog_breeds),
    ("vocab_flashcards", "general", k_vocab_flashcards),
    ("http_header_dump", "code", k_http_headers),
    ("env_var_dump", "code", k_env_dump),
    ("properties_file", "code", k_properties_file),
    ("yaml_item_list", "code", k_yaml_items),
    ("xml_records", "code", k_xml_records),
    ("directory_tree", "code", k_dir_tree),
    ("db_schema_listing", "code", k_db_schema),
    ("function_index", "code", k_function_index),
    ("arithmetic_drills", "math", k_arith_drills),
    ("roman_numerals", "math", k_roman),
    ("ascii_table", "math", k_ascii_table),
    ("periodic_elements", "math", k_elements),
    ("planet_facts", "math", k_planets),
    ("size_chart", "math", k_size_chart),
    ("unit_price_table", "math", k_unit_price),
    ("mountain_heights", "math", k_mountains),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the JSON-lines file to write")
    args = parser.parse_args()
    rows = []
    for kind, domain, fn in KINDS:
        rng = random.Random(zlib.crc32(kind.encode()) ^ 20240611)
        made, tries = 0, 0
        while made < DOCS_PER_KIND:
            tries += 1
            assert tries < 200, kind
            text = fn(rng).strip("\n")
            if not (MIN_LEN <= len(text) <= MAX_LEN + 200):
                continue
            if any(r["text"] == text for r in rows):
                continue
            made += 1
            rows.append(
                {
                    "id": f"simple-{kind}-{made}",
                    "text": text,
                    "domain": domain,
                    "label": "boilerplate",
                    "kind": kind,
                    "source": "generated",
                }
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()
