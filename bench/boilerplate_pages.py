#!/usr/bin/env python3
"""Labelled boilerplate pages: an independent hold-out set for the guard's fidelity bench (bench/fidelity.py).

Writes --out as JSON lines, one document per line: {"id", "text", "domain", "label": "boilerplate", "kind",
"source"}, where source is "generated" or the system file or folder the text comes from; 8 documents per kind,
400 to 3000 characters each. The kinds were written without looking at the project's guard or its calibration
set (tests/fixtures/calibration), so that they judge the guard from outside. Kinds per domain:

  general (11)  order_confirmation, shipping_tracking, tv_guide, flight_status_board, real_estate_listings,
                job_board_listings, search_results_page, forum_thread_index, comment_section,
                song_lyrics_chorus, horoscopes_page
  math (9)      stock_quote_table, crypto_price_feed, bank_statement, election_results, census_table,
                lottery_results, basketball_box_score, csv_export, exchange_rate_table
  code (13)     crontab, ps_top_output, nginx_config, dockerfile, git_log_oneline, gettext_po_file,
                protobuf_schema, stack_trace, test_runner_output; and from this machine's files:
                ls_l_listing (ls -l of system folders), hexdump (hexdump -C / xxd of binaries),
                maven_pom (/usr/share/maven-repo), x11_compose_table (/usr/share/X11/locale/*/Compose)

Standard library only and deterministic (a fixed string seed per document); the four system-file kinds
depend on the machine's files (ls_l_listing also on its time zone). Licence: the generated text is
Apache-2.0, as the project; text read from a system file keeps its package's own licence (see
/usr/share/doc/PKG/copyright).

    python bench/boilerplate_pages.py --out DIR/holdout.jsonl
"""

import argparse
import collections
import datetime as dt
import grp
import hashlib
import json
import os
import pwd
import random
import stat
from pathlib import Path

DOCS_PER_KIND = 8
MIN_LEN, MAX_LEN = 400, 3000

# ---------------------------------------------------------------- pools
FIRST = [
    "James",
    "Maria",
    "Wei",
    "Aisha",
    "Lukas",
    "Sofia",
    "Raj",
    "Emma",
    "Diego",
    "Hannah",
    "Kenji",
    "Olga",
    "Noah",
    "Fatima",
    "Liam",
    "Chloe",
    "Mateo",
    "Priya",
    "Ethan",
    "Zoe",
    "Ivan",
    "Amara",
    "Jonas",
    "Leila",
    "Oscar",
    "Mei",
    "Samuel",
    "Elena",
    "Tomás",
    "Nina",
    "Kwame",
    "Grace",
    "Felix",
    "Yuki",
    "Daniel",
    "Sara",
    "Omar",
    "Ingrid",
    "Victor",
    "Lucy",
]
LAST = [
    "Smith",
    "Garcia",
    "Chen",
    "Khan",
    "Müller",
    "Rossi",
    "Patel",
    "Johnson",
    "Lopez",
    "Schmidt",
    "Tanaka",
    "Ivanova",
    "Brown",
    "Haddad",
    "Walsh",
    "Martin",
    "Fernandez",
    "Sharma",
    "Nguyen",
    "Kowalski",
    "Petrov",
    "Okafor",
    "Larsen",
    "Moreau",
    "Silva",
    "Kim",
    "Novak",
    "Andersen",
    "O'Brien",
    "Cohen",
    "Mensah",
    "Taylor",
    "Weber",
    "Sato",
    "Wilson",
    "Rahman",
    "Berg",
    "Costa",
]
US_CITIES = [
    ("Springfield", "IL", "62704"),
    ("Austin", "TX", "78701"),
    ("Denver", "CO", "80202"),
    ("Portland", "OR", "97205"),
    ("Columbus", "OH", "43215"),
    ("Raleigh", "NC", "27601"),
    ("Tucson", "AZ", "85701"),
    ("Madison", "WI", "53703"),
    ("Boise", "ID", "83702"),
    ("Richmond", "VA", "23219"),
    ("Omaha", "NE", "68102"),
    ("Albany", "NY", "12207"),
    ("Sacramento", "CA", "95814"),
    ("Nashville", "TN", "37203"),
    ("Tampa", "FL", "33602"),
    ("Louisville", "KY", "40202"),
    ("Spokane", "WA", "99201"),
    ("Des Moines", "IA", "50309"),
    ("Memphis", "TN", "38103"),
    ("Reno", "NV", "89501"),
    ("Savannah", "GA", "31401"),
    ("Burlington", "VT", "05401"),
    ("Fort Wayne", "IN", "46802"),
    ("Wichita", "KS", "67202"),
]
STREETS = [
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Main",
    "Sunset",
    "Ridge",
    "River",
    "Highland",
    "Willow",
    "Church",
    "Mill",
    "Spring",
    "Chestnut",
]
ST_SUFFIX = ["St", "Ave", "Rd", "Dr", "Ln", "Ct", "Blvd", "Way", "Pl", "Ter"]
WORDS = [
    "cloud",
    "river",
    "pixel",
    "stone",
    "amber",
    "falcon",
    "orbit",
    "maple",
    "ember",
    "echo",
    "nova",
    "cobalt",
    "drift",
    "harbor",
    "summit",
    "lunar",
    "copper",
    "willow",
    "vector",
    "atlas",
]
USER_TAILS = ["", "_", "x", "99", "22", "007", "_dev", "_gg", "1987", "42", "_official", "zz"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def person(r):
    return f"{r.choice(FIRST)} {r.choice(LAST)}"


def username(r):
    f = r.choice(FIRST).lower().replace("á", "a")
    style = r.randrange(5)
    if style == 0:
        return f + r.choice(USER_TAILS)
    if style == 1:
        return r.choice(WORDS) + "_" + r.choice(WORDS) + str(r.randrange(100))
    if style == 2:
        return f[0] + r.choice(LAST).lower().replace("'", "").replace("ü", "u")
    if style == 3:
        return (
            r.choice(WORDS).capitalize()
            + r.choice(["Fan", "Guy", "Girl", "Dad", "Mom", "Nerd"])
            + str(r.randrange(1, 999))
        )
    return f + "." + r.choice(LAST).lower().replace("'", "").replace("ü", "u")


def address(r):
    c, s, z = r.choice(US_CITIES)
    return f"{r.randrange(12, 9899)} {r.choice(STREETS)} {r.choice(ST_SUFFIX)}", f"{c}, {s} {z}"


def rdate(r, start=dt.datetime(2021, 1, 1), span_days=1300):
    return start + dt.timedelta(days=r.randrange(span_days), minutes=r.randrange(1440))


def money(x, sym="$"):
    s = f"{sym}{abs(x):,.2f}"
    return "-" + s if x < 0 else s


def pick_target(r):
    """Varied target length in [MIN_LEN+60, MAX_LEN-80]."""
    return int(MIN_LEN + 60 + (MAX_LEN - MIN_LEN - 140) * (r.random() ** 1.25))


def fit(render, max_k, target, min_k=2):
    """Largest k (>= min_k) whose render(k) fits target (and MAX_LEN)."""
    best = render(min_k)
    for k in range(min_k + 1, max_k + 1):
        t = render(k)
        if len(t) > min(target, MAX_LEN):
            break
        best = t
    return best


def cut_lines(text, limit):
    """Cut text at a line boundary so that len <= limit."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > 0 else limit].rstrip() + "\n"


# ================================================================ GENERAL
STORES = [
    "Northwind Outfitters",
    "BrightHome Supply",
    "Peak & Pine",
    "UrbanNest",
    "GadgetHarbor",
    "The Paper Loft",
    "Copperline Kitchen",
    "TrailMark Gear",
    "Lumen Living",
    "Blue Fern Books",
]
PRODUCTS = [
    ("Stainless Steel Water Bottle", 18, 35, ["24 oz", "32 oz", "Matte Black", "Sage"]),
    ("Merino Wool Crew Socks (3-Pack)", 19, 29, ["M", "L", "Charcoal"]),
    ("Wireless Earbuds Pro", 49, 129, ["White", "Black"]),
    ('Cast Iron Skillet 10"', 24, 45, ["Pre-seasoned"]),
    ("Organic Cotton Bath Towel", 14, 32, ["Ivory", "Slate", "Set of 2"]),
    ("USB-C Charging Cable 6ft", 8, 19, ["2-Pack", "Braided"]),
    ("Ceramic Pour-Over Coffee Dripper", 16, 38, ["Size 02", "White"]),
    ("LED Desk Lamp with Dimmer", 29, 69, ["Silver", "Black"]),
    ("Hardcover Dotted Notebook A5", 12, 24, ["Navy", "Forest Green"]),
    ("Yoga Mat 6mm", 22, 58, ["Lavender", "Teal"]),
    ("Trail Running Shoes", 79, 149, ["US 9", "US 10.5", "US 8 W"]),
    ("Bamboo Cutting Board Set", 21, 44, ["3-piece"]),
    ("Insulated Lunch Tote", 15, 30, ["Gray Heather"]),
    ("Scented Soy Candle", 12, 28, ["Cedar & Sage", "Fig", "Sea Salt"]),
    ("Phone Case - Clear", 9, 25, ["iPhone 15", "Pixel 8", "Galaxy S24"]),
    ("Rain Jacket Packable", 59, 139, ["S", "M", "XL", "Olive"]),
    ("Kids' Puzzle 500 pc", 11, 22, ["Ocean Life", "Space"]),
]
SHIP_METHODS = [
    ("Standard Shipping (5-7 business days)", 5.99),
    ("Expedited (2-3 business days)", 12.95),
    ("Free Standard Shipping", 0.0),
    ("Next Day Air", 24.50),
    ("Store Pickup", 0.0),
]


def gen_order_confirmation(r):
    store = r.choice(STORES)
    name = person(r)
    first = name.split()[0]
    ordno = f"{r.choice(['', 'NW-', '#', 'ORD-'])}{r.randrange(100000, 99999999)}"
    when = rdate(r)
    ship_name, ship_cost = r.choice(SHIP_METHODS)
    tax_rate = r.choice([0.0, 0.0625, 0.07, 0.0725, 0.08, 0.0875, 0.095])
    code = r.choice([None, None, "WELCOME10", "SPRING15", "FREESHIP", "SAVE20"])
    card = r.choice(["Visa", "Mastercard", "American Express", "Discover", "PayPal"])
    last4 = r.randrange(1000, 9999)
    street, cityline = address(r)
    items = []
    for _ in range(30):
        p, lo, hi, variants = r.choice(PRODUCTS)
        price = round(r.uniform(lo, hi)) - r.choice([0.01, 0.05, 0.51, 0.0])
        items.append(
            (
                p,
                r.choice(variants),
                r.choice([1, 1, 1, 2, 3]),
                price,
                f"{r.choice('ABCDEFGHJK')}{r.randrange(10000, 99999)}-{r.randrange(10, 99)}",
            )
        )
    style = r.randrange(2)

    def render(k):
        its = items[:k]
        sub = sum(q * p for _, _, q, p, _ in its)
        disc = (
            round(sub * 0.1, 2)
            if code in ("WELCOME10",)
            else round(sub * 0.15, 2)
            if code == "SPRING15"
            else round(sub * 0.2, 2)
            if code == "SAVE20"
            else 0.0
        )
        shipc = 0.0 if code == "FREESHIP" else ship_cost
        tax = round((sub - disc) * tax_rate, 2)
        total = sub - disc + shipc + tax
        L = []
        if style == 0:
            L += [
                f"Subject: Your {store} order {ordno} is confirmed",
                f"From: {store} <orders@{store.lower().replace(' ', '').replace('&', 'and')}.com>",
                "",
                f"Hi {first},",
                "",
                f"Thanks for shopping with {store}! We've received your order and we're getting it ready. "
                "We'll send you another email with tracking information as soon as it ships.",
                "",
                f"ORDER {ordno}",
                f"Placed on {when:%B %d, %Y}",
                "",
                "ORDER SUMMARY",
                "-" * 48,
            ]
            for p, v, q, pr, sku in its:
                L += [f"{p}", f"  {v} | SKU {sku}", f"  Qty: {q}   Price: {money(pr)}   Total: {money(q * pr)}"]
            L += ["-" * 48]
        else:
            L += [
                f"{store.upper()}",
                "Order Confirmation",
                "",
                f"Dear {name},",
                "",
                f"Your order {ordno} placed on {when:%m/%d/%Y} has been received.",
                "",
                f"{'Item':<40}{'Qty':>4}{'Price':>11}{'Amount':>11}",
            ]
            for p, v, q, pr, _sku in its:
                L.append(f"{(p + ', ' + v)[:39]:<40}{q:>4}{money(pr):>11}{money(q * pr):>11}")
            L += [""]
        L += [f"Subtotal: {money(sub)}"]
        if disc:
            L += [f"Discount ({code}): -{money(disc)}"]
        L += [
            f"Shipping - {ship_name}: {money(shipc) if shipc else 'FREE'}",
            f"Estimated Tax: {money(tax)}",
            f"Order Total: {money(total)}",
            "",
            "SHIPPING ADDRESS",
            name,
            street,
            cityline,
            "",
            f"PAYMENT METHOD: {card}" + (f" ending in {last4}" if card != "PayPal" else ""),
            "",
            "Need to make a change? You can cancel or edit your order within 1 hour from your account page.",
            "Questions? Visit our Help Center or reply to this email.",
            "",
            f"© {when.year} {store}. All rights reserved.",
            "Privacy Policy | Terms of Service | Unsubscribe",
        ]
        return "\n".join(L)

    return fit(render, 30, pick_target(r), 1), "generated"


CARRIERS = [
    (
        "UPS",
        lambda r: (
            f"1Z{r.randrange(100, 999)}{''.join(r.choice('ABCDEFWXYZ') for _ in range(2))}{r.randrange(10**9, 10**10)}"
        ),
    ),
    ("FedEx", lambda r: str(r.randrange(10**11, 10**12))),
    ("USPS", lambda r: "9400 " + " ".join(str(r.randrange(1000, 9999)) for _ in range(4)) + f" {r.randrange(10, 99)}"),
    ("DHL Express", lambda r: str(r.randrange(10**9, 10**10))),
    ("Royal Mail", lambda r: f"{''.join(r.choice('ABCDEFGHJK') for _ in range(2))}{r.randrange(10**8, 10**9)}GB"),
]
HUBS = [
    "MEMPHIS, TN",
    "LOUISVILLE, KY",
    "INDIANAPOLIS, IN",
    "ONTARIO, CA",
    "DALLAS, TX",
    "HODGKINS, IL",
    "ATLANTA, GA",
    "NEWARK, NJ",
    "SALT LAKE CITY, UT",
    "OAKLAND, CA",
    "COLUMBUS, OH",
    "KANSAS CITY, MO",
]


def gen_shipping_tracking(r):
    carrier, mk = r.choice(CARRIERS)
    trk = mk(r)
    origin = r.choice(HUBS)
    dest_c, dest_s, _ = r.choice(US_CITIES)
    dest = f"{dest_c.upper()}, {dest_s}"
    delivered = r.random() < 0.55
    t = rdate(r)
    hubs = r.sample([h for h in HUBS if h != origin], 6)
    ev = [
        (t, origin, "Shipper created a label, " + carrier + " has not received the package yet."),
        (t + dt.timedelta(hours=r.randrange(5, 30)), origin, "Picked up"),
    ]
    cur = ev[-1][0]
    for h in [origin] + hubs:
        for act in (
            ["Arrived at facility", "Processing at facility", "Departed facility"]
            if h != origin
            else ["Origin scan", "Departed facility"]
        ):
            cur += dt.timedelta(minutes=r.randrange(40, 600))
            ev.append((cur, h, act))
        cur += dt.timedelta(hours=r.randrange(3, 20))
        if r.random() < 0.15:
            ev.append(
                (
                    cur,
                    h,
                    r.choice(
                        [
                            "In transit to next facility",
                            "Package delayed due to weather. We are adjusting delivery plans as quickly as possible.",
                            "Arriving late, we're moving your package to its destination",
                        ]
                    ),
                )
            )
    tail = [
        (cur + dt.timedelta(hours=3), dest, "Arrived at destination facility"),
        (cur + dt.timedelta(hours=9), dest, "Out for delivery"),
        (
            cur + dt.timedelta(hours=14),
            dest,
            r.choice(
                [
                    "Delivered, front door",
                    "Delivered, left at mailroom",
                    "Delivered, handed to resident",
                    "Delivered, garage / other",
                ]
            ),
        ),
    ]
    fmt = r.randrange(3)
    target = pick_target(r)

    def render(k):
        evs = ev[:k] + (tail if delivered else tail[:1])
        evs = list(reversed(evs))
        status = "Delivered" if delivered else "In Transit"
        L = [f"{carrier} Tracking", f"Tracking Number: {trk}", f"Status: {status}"]
        if delivered:
            L.append(f"Delivered On: {evs[0][0]:%A, %B %d, %Y at %I:%M %p}".replace(" 0", " "))
        else:
            L.append(f"Scheduled Delivery: {evs[0][0] + dt.timedelta(days=2):%A, %m/%d/%Y}, by End of Day")
        L += [
            f"Ship To: {dest}, US",
            f"Service: {r2.choice(['Ground', 'Priority Mail', 'Home Delivery', 'Express Worldwide', '2nd Day Air'])}",
            "",
            "Shipment Progress",
        ]
        if fmt == 0:
            L.append(f"{'Date':<12}{'Time':<10}{'Location':<24}Activity")
            for d, loc, a in evs:
                L.append(f"{d:%m/%d/%Y}  {d:%I:%M %p}  {loc + ', US':<24}{a}")
        elif fmt == 1:
            last = None
            for d, loc, a in evs:
                day = f"{d:%A, %B %d, %Y}"
                if day != last:
                    L += ["", day]
                    last = day
                L.append(f"{d:%I:%M %p}   {a}   {loc}")
        else:
            for d, loc, a in evs:
                L += [f"{a}", f"{loc} US {d:%b %d, %Y, %H:%M}", ""]
        L += [
            "",
            "Get updates: text and email alerts are available for this shipment.",
            f"Not the right package? Contact {carrier} Customer Service.",
        ]
        return "\n".join(L)

    r2 = random.Random(r.random())
    state = r2.getstate()

    def stable(k):
        r2.setstate(state)  # same carrier service line on every re-render
        return render(k)

    return fit(stable, len(ev), target, 3), "generated"


SHOW_A = ["Morning", "Evening", "Late Night", "Weekend", "Breakfast", "Midday", "Sunday"]
SHOW_B = ["News", "Live", "Update", "Report", "Edition", "Show", "Show with Dana Ross", "Roundup"]
SERIES = [
    "Hidden Kitchens",
    "The Long Road Home",
    "Coastguard Rescue",
    "Deadly Mysteries",
    "Property Brothers",
    "Law & Order: SVU",
    "Antiques Roadshow",
    "Wild Africa",
    "Grand Designs",
    "The Great Bake Off",
    "Bob's Burgers",
    "Friends",
    "Modern Family",
    "NCIS",
    "Chicago Fire",
    "Storage Wars",
    "Planet Earth",
    "Diners, Drive-Ins and Dives",
    "House Hunters",
    "The Simpsons",
    "Doctor Who",
    "Gardeners' World",
    "Top Gear",
    "Jeopardy!",
    "Wheel of Fortune",
    "Judge Judy",
]
EP_TITLES = [
    "The Reunion",
    "Fresh Start",
    "Breaking Point",
    "Lost and Found",
    "The Inheritance",
    "Homecoming",
    "Second Chances",
    "Cold Case",
    "Full Circle",
    "The Storm",
    "Family Ties",
    "Road Trip",
    "Pilot",
    "New Beginnings",
    "The Wedding",
    "Double Trouble",
    "Into the Wild",
    "Last Call",
]
CHANNELS = [
    "BBC One",
    "ITV1",
    "Channel 4",
    "NBC 4",
    "CBS 2",
    "ABC 7",
    "FOX 5",
    "PBS",
    "HGTV",
    "Discovery",
    "Food Network",
    "TLC",
    "Comedy Central",
    "History",
    "AMC",
    "Dave",
    "E4",
]
GENRES = ["Drama", "Comedy", "Documentary", "News", "Reality", "Game Show", "Lifestyle", "Crime", "Sitcom"]
RATINGS = ["TV-PG", "TV-14", "TV-G", "TV-MA", "PG", "12", "15"]


def gen_tv_guide(r):
    day = rdate(r)
    chans = r.sample(CHANNELS, r.randrange(1, 4))
    fmt = r.randrange(2)
    slots = []
    for ch in chans:
        t = dt.datetime(day.year, day.month, day.day, 6, 0)
        lst = []
        while t.hour >= 6 or t.day == day.day:
            if len(lst) > 40:
                break
            if r.random() < 0.2:
                name, dur, genre, ep = f"{r.choice(SHOW_A)} {r.choice(SHOW_B)}", r.choice([30, 60, 120]), "News", ""
            else:
                name, dur, genre = r.choice(SERIES), r.choice([30, 30, 60, 60, 90]), r.choice(GENRES)
                ep = f'S{r.randrange(1, 15):02d}E{r.randrange(1, 23):02d} "{r.choice(EP_TITLES)}"'
            flags = " ".join(
                f
                for f in [
                    r.choice(["", "", "New", "Repeat"]),
                    r.choice(["", "", "HD", "CC"]),
                    r.choice(["", "", "", "[S]", "[AD]"]),
                ]
                if f
            )
            lst.append((t, name, dur, genre, ep, flags, r.choice(RATINGS)))
            t += dt.timedelta(minutes=dur)
            if t.day != day.day:
                break
        slots.append((ch, lst))
    target = pick_target(r)

    def render(k):
        L = [f"TV Listings - {day:%A %d %B %Y}", "All times local. Listings subject to change.", ""]
        for ch, lst in slots:
            L.append(f"== {ch} ==")
            for t, name, dur, genre, ep, flags, rating in lst[:k]:
                if fmt == 0:
                    L.append(
                        f"{t:%H:%M}  {name}"
                        + (f" - {ep}" if ep else "")
                        + f"  ({genre}, {dur} mins) {rating} {flags}".rstrip()
                    )
                else:
                    L += [
                        f"{t:%I:%M %p}".lstrip("0") + f"  {name}",
                        f"      {ep + ' · ' if ep else ''}{genre} · {dur} min · {rating}{' · ' + flags if flags else ''}",
                    ]
            L.append("")
        L += [
            "Set a reminder | Record series | Full TV guide",
            "© TVGuide listings data. Programme information may change at short notice.",
        ]
        return "\n".join(L)

    return fit(render, 40, target, 2), "generated"


AIRPORTS = [
    ("London Heathrow", "LHR"),
    ("Frankfurt", "FRA"),
    ("Chicago O'Hare", "ORD"),
    ("Amsterdam Schiphol", "AMS"),
    ("Dubai International", "DXB"),
    ("Singapore Changi", "SIN"),
    ("Denver", "DEN"),
    ("Madrid Barajas", "MAD"),
]
DESTS = [
    "New York JFK",
    "Paris CDG",
    "Los Angeles",
    "Tokyo Haneda",
    "Barcelona",
    "Rome Fiumicino",
    "Dublin",
    "Toronto",
    "Zurich",
    "Istanbul",
    "Lisbon",
    "Copenhagen",
    "Boston",
    "Miami",
    "Hong Kong",
    "Mumbai",
    "Doha",
    "Vienna",
    "Athens",
    "Oslo",
    "Seattle",
    "Atlanta",
    "Munich",
    "Warsaw",
    "Prague",
    "Geneva",
    "Edinburgh",
    "Manchester",
    "Milan Malpensa",
    "Brussels",
    "Stockholm",
    "Helsinki",
    "Cancun",
    "Sydney",
]
AIRLINES = ["BA", "LH", "AA", "UA", "KL", "AF", "EK", "SQ", "IB", "DL", "EI", "LX", "TK", "QR", "AY", "SK", "U2", "FR"]


def gen_flight_status(r):
    ap, code = r.choice(AIRPORTS)
    arr = r.random() < 0.35
    now = rdate(r).replace(minute=r.randrange(0, 60))
    t = now - dt.timedelta(minutes=r.randrange(30, 90))
    rows = []
    for _ in range(60):
        t += dt.timedelta(minutes=r.choice([0, 5, 5, 10, 10, 15, 20]))
        fl = f"{r.choice(AIRLINES)} {r.randrange(10, 2999)}"
        codeshare = [f"{r.choice(AIRLINES)} {r.randrange(1000, 9999)}" for _ in range(r.choice([0, 0, 0, 1, 2]))]
        dest = r.choice(DESTS)
        gate = f"{r.choice('ABCDEFT')}{r.randrange(1, 60)}"
        diff = (t - now).total_seconds() / 60
        if arr:
            st = (
                ("Landed " + (t + dt.timedelta(minutes=r.randrange(-10, 25))).strftime("%H:%M"))
                if diff < 0
                else r.choice(
                    [
                        "On time",
                        "On time",
                        "Expected " + (t + dt.timedelta(minutes=r.randrange(5, 80))).strftime("%H:%M"),
                        "Delayed",
                        "Diverted",
                        "Baggage hall " + str(r.randrange(1, 12)),
                    ]
                )
            )
        else:
            st = (
                ("Departed " + (t + dt.timedelta(minutes=r.randrange(0, 30))).strftime("%H:%M"))
                if diff < -10
                else (
                    r.choice(["Boarding", "Gate closing", "Final call"])
                    if diff < 25
                    else r.choice(
                        [
                            "On time",
                            "On time",
                            "On time",
                            "Go to gate",
                            "Delayed " + (t + dt.timedelta(minutes=r.randrange(15, 150))).strftime("%H:%M"),
                            "Cancelled",
                            "Gate opens " + (t - dt.timedelta(minutes=45)).strftime("%H:%M"),
                        ]
                    )
                )
            )
        rows.append((t, fl, codeshare, dest, gate, st))
    fmt = r.randrange(2)

    def render(k):
        title = "ARRIVALS" if arr else "DEPARTURES"
        L = [f"{ap} ({code}) - {title}", f"Last updated {now:%d %b %Y %H:%M}", ""]
        if fmt == 0:
            L.append(
                f"{'Sched':<7}{'Flight':<10}{'From' if arr else 'To':<20}{'Term/Gate' if not arr else 'Term':<11}Status"
            )
            for t, fl, cs, dest, gate, st in rows[:k]:
                L.append(
                    f"{t:%H:%M}  {fl:<10}{dest:<20}{(gate if not arr else 'T' + str(int(gate[1:]) % 5 + 1)):<11}{st}"
                )
                if cs:
                    L.append(f"       also {', '.join(cs)}")
        else:
            for t, fl, cs, dest, gate, st in rows[:k]:
                L.append(f"{t:%H:%M} | {fl}{' / ' + ' / '.join(cs) if cs else ''} | {dest} | Gate {gate} | {st}")
        L += [
            "",
            "Flight information is provided by the airlines and may change. Please check with your airline before travelling.",
        ]
        return "\n".join(L)

    return fit(render, 60, pick_target(r), 4), "generated"


HOME_FEATS = [
    "Open House Sat 1-3PM",
    "Price cut: $10,000",
    "New construction",
    "Pool",
    "3-car garage",
    "Updated kitchen",
    "Hardwood floors",
    "Corner lot",
    "Fenced yard",
    "Waterfront",
    "No HOA",
    "Finished basement",
    "Solar panels",
    "Walk-in closets",
    "Mountain views",
    "Move-in ready",
]
BROKERS = [
    "Keller Williams Realty",
    "RE/MAX Advantage",
    "Coldwell Banker",
    "Compass",
    "Century 21 Select",
    "Berkshire Hathaway HomeServices",
    "eXp Realty",
    "Redfin",
    "Sotheby's International Realty",
]


def gen_real_estate(r):
    city, st, z = r.choice(US_CITIES)
    base = r.choice([180000, 250000, 320000, 420000, 560000, 780000])
    cards = []
    for _ in range(40):
        bd = r.choice([1, 2, 2, 3, 3, 3, 4, 4, 5])
        ba = r.choice([1, 1.5, 2, 2, 2.5, 3, 3.5])
        sqft = int(bd * r.uniform(380, 720) + 200)
        price = round(base * r.uniform(0.55, 1.8) * sqft / 1800, -3)
        typ = r.choice(
            [
                "House for sale",
                "House for sale",
                "Condo for sale",
                "Townhouse for sale",
                "New construction",
                "Pending",
                "Coming soon",
            ]
        )
        street = f"{r.randrange(100, 9999)} {r.choice(STREETS)} {r.choice(ST_SUFFIX)}" + (
            f" #{r.randrange(1, 40)}{r.choice('ABCD')}" if typ.startswith("Condo") else ""
        )
        cards.append(
            (
                price,
                bd,
                ba,
                sqft,
                typ,
                street,
                r.randrange(0, 120),
                r.choice(BROKERS),
                r.sample(HOME_FEATS, r.randrange(0, 3)),
                r.randrange(2, 30) / 100 + 0.1 if r.random() < 0.6 else None,
            )
        )
    fmt = r.randrange(2)

    def render(k):
        L = [
            f"{city}, {st} Real Estate & Homes For Sale",
            f"{47 + k * 13:,} results  ·  Sort: {'Newest' if fmt else 'Homes for You'}",
            "",
        ]
        for price, bd, ba, sqft, typ, street, days, broker, feats, lot in cards[:k]:
            if fmt == 0:
                L += [
                    f"${price:,.0f}",
                    f"{bd} bds | {ba:g} ba | {sqft:,} sqft - {typ}",
                    f"{street}, {city}, {st} {z}",
                    f"{broker}" + (f"  ·  {days} days on site" if days else "  ·  New listing"),
                ]
                if feats:
                    L.append(" · ".join(feats))
                L.append("")
            else:
                L += [
                    f"{typ.upper()}  ${price:,.0f}  ({'$' + format(int(price / sqft), ',') + '/sqft'})",
                    f"{street} | {city}, {st} {z}",
                    f"Beds: {bd}  Baths: {ba:g}  Sq Ft: {sqft:,}" + (f"  Lot: {lot:.2f} acres" if lot else ""),
                    f"Listing courtesy of {broker}. MLS #{int(hashlib.md5(street.encode()).hexdigest(), 16) % 9000000 + 1000000}",
                    "",
                ]
        L.append("Listing data is deemed reliable but not guaranteed. Equal Housing Opportunity.")
        return "\n".join(L)

    return fit(render, 40, pick_target(r), 2), "generated"


JOB_TITLES = [
    "Software Engineer",
    "Senior Data Analyst",
    "Registered Nurse (RN)",
    "Warehouse Associate",
    "Customer Service Representative",
    "Marketing Coordinator",
    "Account Executive",
    "Administrative Assistant",
    "DevOps Engineer",
    "Line Cook",
    "Delivery Driver",
    "Project Manager",
    "Pharmacy Technician",
    "Financial Analyst",
    "Electrician Apprentice",
    "HR Generalist",
    "UX Designer",
    "Medical Assistant",
    "Sales Associate",
    "Operations Supervisor",
]
COMPANIES = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Logistics",
    "Wayne Retail",
    "Hooli",
    "Vandelay Industries",
    "Pied Piper",
    "Soylent Foods",
    "Cyberdyne Systems",
    "Massive Dynamic",
    "Wonka Confectionery",
    "Tyrell Biotech",
    "Aperture Labs",
]


def gen_job_listings(r):
    city, st, _ = r.choice(US_CITIES)
    q = r.choice(["", "remote", "part time", "entry level", "nurse", "engineer", "warehouse"])
    jobs = []
    for _ in range(40):
        title = r.choice(JOB_TITLES)
        hourly = any(
            w in title
            for w in ["Associate", "Cook", "Driver", "Technician", "Representative", "Assistant", "Apprentice"]
        )
        if hourly:
            lo = r.randrange(14, 28)
            pay = f"${lo}.{r.choice(['00', '50'])} - ${lo + r.randrange(2, 9)}.00 an hour"
        else:
            lo = r.randrange(45, 160)
            pay = f"${lo},000 - ${lo + r.randrange(10, 50)},000 a year"
        jobs.append(
            (
                title,
                r.choice(COMPANIES),
                r.choice([f"{city}, {st}", f"{city}, {st}", "Remote", f"Hybrid remote in {city}, {st}"]),
                pay if r.random() < 0.8 else "",
                r.sample(
                    [
                        "Full-time",
                        "Part-time",
                        "Contract",
                        "Monday to Friday",
                        "Day shift",
                        "Night shift",
                        "401(k)",
                        "Health insurance",
                        "Paid time off",
                        "Easily apply",
                        "Urgently hiring",
                        "Responds within 3 days",
                    ],
                    r.randrange(1, 4),
                ),
                r.choice(
                    [
                        "Just posted",
                        "Today",
                        "1 day ago",
                        "2 days ago",
                        "Posted 5 days ago",
                        "30+ days ago",
                        "Active 3 days ago",
                    ]
                ),
                r.randrange(0, 300),
                round(r.uniform(3.0, 4.6), 1),
            )
        )
    target = pick_target(r)

    def render(k):
        L = [
            f"{(q + ' jobs').strip().capitalize()} in {city}, {st}",
            f"Page 1 of {120 + k * 7:,} jobs",
            "Sort by: relevance - date",
            "",
        ]
        for title, co, loc, pay, tags, posted, apps, rating in jobs[:k]:
            L += [title, f"{co}  {rating}★", loc]
            if pay:
                L.append(pay)
            L += [
                " · ".join(tags),
                f"{posted}" + (f" · {apps} applicants" if apps > 25 else " · Be an early applicant"),
                "",
            ]
        L.append("Let employers find you - Upload your resume | Create job alert")
        return "\n".join(L)

    return fit(render, 40, target, 2), "generated"


SEARCH_Q = [
    (
        "best running shoes for flat feet",
        ["runnersworld.com", "verywellfit.com", "reddit.com", "amazon.com", "healthline.com", "rei.com"],
    ),
    (
        "how to reset router password",
        ["support.netgear.com", "linksys.com", "wikihow.com", "lifewire.com", "tp-link.com", "reddit.com"],
    ),
    (
        "cheap flights to lisbon",
        ["skyscanner.com", "kayak.com", "expedia.com", "google.com/travel", "momondo.com", "tripadvisor.com"],
    ),
    (
        "python list comprehension",
        [
            "docs.python.org",
            "w3schools.com",
            "realpython.com",
            "stackoverflow.com",
            "geeksforgeeks.org",
            "programiz.com",
        ],
    ),
    (
        "slow cooker chili recipe",
        ["allrecipes.com", "foodnetwork.com", "delish.com", "tasteofhome.com", "simplyrecipes.com", "pinterest.com"],
    ),
    (
        "symptoms of vitamin d deficiency",
        ["mayoclinic.org", "webmd.com", "healthline.com", "nhs.uk", "clevelandclinic.org", "medicalnewstoday.com"],
    ),
    (
        "used honda civic near me",
        ["cars.com", "autotrader.com", "carmax.com", "cargurus.com", "edmunds.com", "facebook.com/marketplace"],
    ),
    (
        "weekend things to do in denver",
        ["denver.org", "tripadvisor.com", "timeout.com", "yelp.com", "5280.com", "eventbrite.com"],
    ),
]
SNIPS = [
    "{D} Find the {Q} with our expert guide. Compare top picks, prices and reviews ...",
    "Looking for {Q}? Here are the 15 best options we tested in {Y}, plus tips on what to look for.",
    "{D} — Learn everything about {Q}. Step-by-step instructions, FAQs and common mistakes to avoid.",
    "Discover {Q}. Free shipping on orders over $35. Shop now and save up to 40%.",
    "Oct 3, {Y} — I've been searching for {Q} for weeks. Anyone have recommendations? ... 47 answers · Top answer:",
    "{Q}: Overview, causes, and what experts recommend. Medically reviewed by ...",
    "Compare {Q} from trusted sellers. Prices updated daily. Read verified reviews.",
]
TITLES = [
    "The {N} Best {Qt} of {Y}",
    "{Qt}: Complete Guide ({Y} Update)",
    "{Qt} - Reddit",
    "How to {Qt} (Step by Step)",
    "{Qt} | Official Site",
    "Top {N} {Qt} - Tested & Reviewed",
    "{Qt} - Wikipedia",
    "{Qt}: FAQs and Tips",
]


def gen_search_results(r):
    q, sites = r.choice(SEARCH_Q)
    y = r.choice([2022, 2023, 2024])
    qt = q.title()
    res = []
    for _i in range(30):
        site = r.choice(sites)
        path = " › ".join(
            r.sample(
                ["blog", "guides", "reviews", "help", "article", "en-us", "products", q.split()[0], "r", "wiki"],
                r.randrange(1, 3),
            )
        )
        res.append(
            (
                site,
                path,
                r.choice(TITLES).format(N=r.choice([5, 7, 10, 12, 15, 21]), Qt=qt, Y=y),
                r.choice(SNIPS).format(Q=q, Y=y, D=f"{r.choice(MONTHS)} {r.randrange(1, 28)}, {y} —"),
                r.random() < 0.15,
            )
        )
    paa = [f"What is the {q.split()[0]} {w}?" for w in ["best", "cheapest", "most popular", "safest"]] + [
        f"Is {q} worth it?",
        f"How do I choose {q}?",
    ]
    target = pick_target(r)

    def render(k):
        L = [
            f"{q} - Search",
            "All  Images  Videos  News  Shopping  More",
            f"About {(k * 4173911) % 98000000 + 1200000:,} results ({0.21 + k / 100:.2f} seconds)",
            "",
        ]
        for i, (site, path, title, snip, ad) in enumerate(res[:k]):
            if ad:
                L.append("Sponsored")
            L += [
                site.split("/")[0].split(".")[-2].capitalize() if "." in site else site,
                f"https://www.{site} › {path}",
                title,
                snip,
                "",
            ]
            if i == 2:
                L += ["People also ask"] + paa[:4] + ["Feedback", ""]
        L += ["Related searches"] + [f"{q} {w}" for w in ["reddit", "2024", "near me", "cheap", "reviews", "vs"]][
            : 3 + k % 4
        ]
        L += [
            "",
            "1 2 3 4 5 6 7 8 9 10   Next",
            "United States · Based on your past activity - Update location",
            "Help  Send feedback  Privacy  Terms",
        ]
        return "\n".join(L)

    return fit(render, 30, target, 2), "generated"


FORUMS = [
    (
        "General Discussion",
        [
            "Anyone else having login issues today?",
            "Introduce yourself here!",
            "What are you listening to right now?",
            "Best budget monitor for 2024?",
            "Forum rules - please read before posting",
            "Off-topic: favorite pizza toppings",
            "Weekend plans thread",
        ],
    ),
    (
        "Car Talk > Engine & Drivetrain",
        [
            "P0420 code after cat replacement",
            "Rough idle when cold - 2012 Civic",
            "Timing belt vs chain?",
            "Oil leak near rear main seal",
            "Transmission slipping 2nd to 3rd",
            "Best synthetic oil for high mileage",
            "Check engine light flashing",
        ],
    ),
    (
        "Linux Help > Networking",
        [
            "wifi drops after suspend",
            "Can't ping gateway after upgrade",
            "NetworkManager vs systemd-networkd",
            "DNS resolution slow on Debian 12",
            "Bridge interface for KVM guests",
            "iptables rules not persisting",
            "VPN kills local network access",
        ],
    ),
    (
        "Gardening > Vegetables",
        [
            "Tomato leaves curling - help!",
            "When to plant garlic zone 6b",
            "Raised bed soil mix",
            "Powdery mildew on zucchini",
            "Peppers not setting fruit",
            "Best companion plants for beans",
            "Show us your harvest 2024",
        ],
    ),
]


def gen_forum_index(r):
    fname, topics = r.choice(FORUMS)
    users = [username(r) for _ in range(25)]
    base = rdate(r)
    rows = []
    for i in range(45):
        t = r.choice(topics)
        prefix = r.choice(["", "", "Re: ", "Re: ", "[SOLVED] ", "Re: Re: "])
        rows.append(
            (
                prefix + t,
                r.choice(users),
                r.randrange(0, 240),
                r.randrange(12, 25000),
                r.choice(users),
                base - dt.timedelta(minutes=i * r.randrange(20, 400)),
                r.random() < 0.08,
                r.randrange(1, 14),
            )
        )
    fmt = r.randrange(2)

    def render(k):
        L = [
            f"Board index » {fname}",
            f"Moderators: {', '.join(users[:2])}",
            "",
            "New Topic  Search this forum…",
            f"{k * 9 + 31} topics • Page 1 of {k // 3 + 2}",
            "",
        ]
        if fmt == 0:
            L.append("Topics                                            Replies   Views   Last post")
        for title, au, rep, views, last, when, sticky, pages in rows[:k]:
            ds = f"{DAYS[when.weekday()]} {when:%b %d, %Y %I:%M %p}".replace(" 0", " ")
            if fmt == 0:
                L += [
                    ("Sticky: " if sticky else "") + title,
                    f"    by {au} » {ds}" + (f"   1 2 … {pages}" if rep > 20 else ""),
                    f"    Replies: {rep}  Views: {views}  Last post by {last} « {ds}",
                ]
            else:
                L += [
                    f"{'📌 ' if sticky else ''}{title} by {au} on {when:%m-%d-%Y}",
                    f"  {rep} replies, {views:,} views · last reply by {last} {ds}",
                ]
        L += [
            "",
            "Display topics from previous: All Topics  Sort by Post time  Descending",
            "Jump to",
            "Who is online",
            f"Users browsing this forum: {', '.join(users[3:6])} and {k} guests",
            "Powered by phpBB® Forum Software © phpBB Limited",
        ]
        return "\n".join(L)

    return fit(render, 45, pick_target(r), 3), "generated"


COMMENTS = [
    "Great article, thanks for sharing!",
    "This is exactly what I was looking for.",
    "First!",
    "Thanks, this helped a lot 🙏",
    "Came here to say this.",
    "Bookmarked. 👍",
    "Who's watching in {Y}?",
    "Love this!! ❤️❤️",
    "So true.",
    "Does anyone have a link to the full version?",
    "Great job, keep it up!",
    "Underrated comment.",
    "Same here.",
    "Didn't work for me :(",
    "Wow, just wow.",
    "Can confirm, works perfectly.",
    "This deserves more views.",
    "lol 😂",
    "Thanks for the info.",
    "Nice post. Following for more.",
    "I disagree but respect your opinion.",
    "Where can I buy this?",
    "Subscribed!",
    "+1",
    "Agreed 100%",
    "Interesting read.",
    "Very helpful, thank you!",
    "Any update on this?",
    "Can you do one about {T} next?",
    "Who else is here after the update?",
    "Love from {C} 🇧🇷",
    "Awesome content as always.",
]
TOPICS = ["budget travel", "sourdough", "home workouts", "React hooks", "saving money", "houseplants", "the new update"]


def gen_comment_section(r):
    y = r.choice([2021, 2022, 2023, 2024])
    cs = []
    for _ in range(60):
        c = r.choice(COMMENTS).format(
            Y=y, T=r.choice(TOPICS), C=r.choice(["Brazil", "India", "Kenya", "Poland", "Mexico", "Philippines"])
        )
        cs.append(
            (
                username(r),
                c,
                r.choice(
                    [
                        "just now",
                        "2 minutes ago",
                        "1 hour ago",
                        "5 hours ago",
                        "1 day ago",
                        "3 days ago",
                        "2 weeks ago",
                        "1 month ago",
                        "1 year ago",
                    ]
                ),
                int(r.paretovariate(1.2)) - 1,
                r.random() < 0.25,
                r.randrange(1, 8),
            )
        )
    fmt = r.randrange(3)

    def render(k):
        L = [f"{sum(1 for _ in cs[:k]) + k * 3:,} Comments", "Sort by: Top comments ▾", "Add a comment…", ""]
        for u, c, when, likes, has_rep, nrep in cs[:k]:
            if fmt == 0:
                L += [f"@{u} · {when}", c, f"👍 {likes or ''}  👎  Reply".replace("  ", " ", 1)]
                if has_rep:
                    L.append(f"▾ {nrep} repl{'y' if nrep == 1 else 'ies'}")
            elif fmt == 1:
                L += [f"{u} says:", f"{when.capitalize()}", c, f"Like ({likes})  Reply  Report"]
            else:
                L += [f"{u}  {when}", c, f"{likes} points · reply · share"]
            L.append("")
        L.append("Load more comments")
        return "\n".join(L)

    return fit(render, 60, pick_target(r), 4), "generated"


LY_OPEN = [
    "I've been walking down this",
    "We were dancing on the",
    "You left me standing by the",
    "Every night I see the",
    "Driving through the",
    "Holding on to the",
    "Lost inside the",
    "Running from the",
    "Waiting at the",
    "Counting all the",
]
LY_NOUN = [
    "empty road",
    "city lights",
    "broken glass",
    "summer rain",
    "midnight train",
    "ocean side",
    "neon sky",
    "old front porch",
    "radio waves",
    "silver moon",
]
LY_CLOSE = [
    "all night long",
    "till the morning comes",
    "and I don't know why",
    "like we used to do",
    "with nowhere left to go",
    "and it feels like home",
    "when the world goes quiet",
    "one more time",
    "baby, can't you see",
    "like a memory",
]
HOOKS = [
    ("Oh, oh, {h}", "Don't let go, don't let go", "We're {h}, we're {h}", "Tonight, tonight"),
    ("Say you'll stay, say you'll stay", "Cause I'm {h}", "Na na na, na na na", "Say you'll stay with me"),
    ("Hey, hey, {h}", "Hold me close and never say goodbye", "Hey, hey, {h}", "Till the morning light"),
]
HOOK_WORDS = ["on fire", "golden", "alive", "falling", "young forever", "coming home", "electric", "dreaming"]


def gen_lyrics(r):
    title_hook = r.choice(HOOK_WORDS)
    artist = r.choice(
        [
            person(r),
            f"The {r.choice(WORDS).capitalize()}s",
            f"{r.choice(WORDS).capitalize()} {r.choice(['Club', 'Youth', 'Theory', 'Hearts'])}",
        ]
    )
    hk = r.choice(HOOKS)
    chorus = [h.format(h=title_hook) for h in hk] + [
        r.choice(LY_OPEN) + " " + r.choice(LY_NOUN),
        hk[0].format(h=title_hook),
    ]

    def verse():
        return [f"{r.choice(LY_OPEN)} {r.choice(LY_NOUN)} {r.choice(LY_CLOSE)}" for _ in range(r.choice([4, 4, 6, 8]))]

    pre = [
        f"And I {r.choice(['know', 'feel', 'say', 'pray'])} it {r.choice(['now', 'again', 'tonight'])}",
        f"{r.choice(LY_CLOSE).capitalize()}",
    ]
    struct = r.choice(
        [
            ["V1", "PRE", "C", "V2", "PRE", "C", "B", "C", "C", "O"],
            ["I", "V1", "C", "V2", "C", "B", "C", "O"],
            ["C", "V1", "C", "V2", "PRE", "C", "C"],
            ["V1", "C", "V2", "C", "V3", "C", "B", "C"],
        ]
    )
    verses = {"V1": verse(), "V2": verse(), "V3": verse()}
    bridge = [f"{r.choice(LY_NOUN).capitalize()}, {r.choice(LY_CLOSE)}" for _ in range(r.choice([2, 4]))]
    target = pick_target(r)

    def render(rep_extra):
        L = [f"{artist} - {title_hook.title()} Lyrics", ""]
        names = {
            "V1": "[Verse 1]",
            "V2": "[Verse 2]",
            "V3": "[Verse 3]",
            "PRE": "[Pre-Chorus]",
            "C": "[Chorus]",
            "B": "[Bridge]",
            "O": "[Outro]",
            "I": "[Intro]",
        }
        for s in struct + ["C"] * rep_extra:
            L.append(names[s])
            if s in verses:
                L += verses[s]
            elif s == "PRE":
                L += pre
            elif s == "C":
                L += chorus
            elif s == "B":
                L += bridge
            elif s == "O":
                L += [chorus[0], chorus[0], f"{title_hook.capitalize()}..."]
            else:
                L += ["(Ooh, ooh)", chorus[0]]
            L.append("")
        L += [
            "Writer(s): " + ", ".join(person(random.Random(i + len(artist))) for i in range(2)),
            "Lyrics licensed and provided by LyricFind",
            "",
            "Embed  Share  Report a correction",
        ]
        return "\n".join(L)

    k = 0
    while len(render(k + 1)) < min(target, MAX_LEN) and k < 2:
        k += 1
    return render(k) if len(render(k)) <= MAX_LEN else cut_lines(render(0), MAX_LEN), "generated"


SIGNS = [
    ("Aries", "Mar 21 - Apr 19"),
    ("Taurus", "Apr 20 - May 20"),
    ("Gemini", "May 21 - Jun 20"),
    ("Cancer", "Jun 21 - Jul 22"),
    ("Leo", "Jul 23 - Aug 22"),
    ("Virgo", "Aug 23 - Sep 22"),
    ("Libra", "Sep 23 - Oct 22"),
    ("Scorpio", "Oct 23 - Nov 21"),
    ("Sagittarius", "Nov 22 - Dec 21"),
    ("Capricorn", "Dec 22 - Jan 19"),
    ("Aquarius", "Jan 20 - Feb 18"),
    ("Pisces", "Feb 19 - Mar 20"),
]
HS = [
    "Today brings {a} energy to your {area} sector.",
    "The {planet} in your sign encourages you to {verb} with confidence.",
    "A {a} conversation could open new doors at work.",
    "Take time to {verb} before making a big decision.",
    "Someone close to you may need your {q} today.",
    "Financial matters look {a}; avoid impulse purchases.",
    "Your {q} will be noticed by the right people.",
    "Romance is highlighted this evening.",
    "An old friend may reach out unexpectedly.",
    "Focus on {area} and let the rest wait until tomorrow.",
    "Trust your instincts when it comes to {area}.",
]


def gen_horoscopes(r):
    day = rdate(r)
    entries = []
    for s, rng_ in SIGNS:
        sent = [
            r.choice(HS).format(
                a=r.choice(["positive", "restless", "creative", "steady", "unexpected", "harmonious"]),
                area=r.choice(["career", "relationship", "home", "health", "money", "travel"]),
                planet=r.choice(["Moon", "Venus", "Mars", "Mercury", "Jupiter"]),
                verb=r.choice(["speak up", "slow down", "reflect", "reach out", "plan ahead", "take the lead"]),
                q=r.choice(["patience", "support", "honesty", "attention", "creativity"]),
            )
            for _ in range(6)
        ]
        entries.append(
            (
                s,
                rng_,
                sent,
                r.randrange(1, 50),
                r.choice(["Red", "Blue", "Green", "Gold", "Purple", "Silver", "Orange", "Teal"]),
                r.choice(["Optimistic", "Calm", "Energetic", "Thoughtful", "Playful"]),
                r.randrange(2, 6),
            )
        )
    target = pick_target(r)

    def render(ns):
        L = [f"Daily Horoscope for {day:%A, %B %d, %Y}", "Find out what the stars have in store for you today.", ""]
        for s, rng_, sent, num, col, mood, stars in entries:
            L += [
                f"{s.upper()} ({rng_})",
                "★" * stars + "☆" * (5 - stars),
                " ".join(sent[:ns]),
                f"Lucky number: {num} | Lucky color: {col} | Mood: {mood}",
                "",
            ]
        L += [
            "Horoscopes are for entertainment purposes only.",
            "Read tomorrow's horoscope »  Weekly  Monthly  Love compatibility",
        ]
        return "\n".join(L)

    for ns in range(4, 0, -1):
        t = render(ns)
        if len(t) <= min(target, MAX_LEN) or ns == 1:
            break
    if len(t) > min(target, MAX_LEN):  # page shows only the first few signs
        t = cut_lines(t, max(min(target, MAX_LEN) - 60, MIN_LEN + 100)) + "\nSee all 12 signs »"
    return t, "generated"


# ================================================================ MATH
TICKERS = [
    ("AAPL", "Apple Inc."),
    ("MSFT", "Microsoft Corp."),
    ("AMZN", "Amazon.com Inc."),
    ("NVDA", "NVIDIA Corp."),
    ("GOOGL", "Alphabet Inc. Cl A"),
    ("META", "Meta Platforms"),
    ("TSLA", "Tesla Inc."),
    ("JPM", "JPMorgan Chase"),
    ("V", "Visa Inc."),
    ("XOM", "Exxon Mobil"),
    ("JNJ", "Johnson & Johnson"),
    ("WMT", "Walmart Inc."),
    ("PG", "Procter & Gamble"),
    ("KO", "Coca-Cola Co."),
    ("PFE", "Pfizer Inc."),
    ("BAC", "Bank of America"),
    ("INTC", "Intel Corp."),
    ("T", "AT&T Inc."),
    ("F", "Ford Motor Co."),
    ("DIS", "Walt Disney Co."),
    ("NFLX", "Netflix Inc."),
    ("AMD", "Advanced Micro Devices"),
    ("CSCO", "Cisco Systems"),
    ("ORCL", "Oracle Corp."),
    ("NKE", "Nike Inc. Cl B"),
    ("MCD", "McDonald's Corp."),
    ("CVX", "Chevron Corp."),
    ("BA", "Boeing Co."),
    ("GE", "General Electric"),
    ("UBER", "Uber Technologies"),
    ("SBUX", "Starbucks Corp."),
    ("PYPL", "PayPal Holdings"),
    ("C", "Citigroup Inc."),
    ("WFC", "Wells Fargo"),
    ("MRK", "Merck & Co."),
]


def gen_stock_quotes(r):
    day = rdate(r)
    rows = []
    for tk, nm in r.sample(TICKERS, len(TICKERS)):
        last = round(r.lognormvariate(4.3, 0.9), 2)
        chg = round(last * r.gauss(0, 0.018), 2)
        op = round(last - chg + r.uniform(-0.5, 0.5), 2)
        hi = round(max(last, op) * (1 + r.random() * 0.015), 2)
        lo = round(min(last, op) * (1 - r.random() * 0.015), 2)
        vol = int(r.lognormvariate(16.5, 0.8))
        rows.append(
            (
                tk,
                nm,
                op,
                hi,
                lo,
                last,
                chg,
                chg / (last - chg) * 100,
                vol,
                round(last * r.uniform(0.6, 0.95), 2),
                round(last * r.uniform(1.05, 1.5), 2),
            )
        )
    fmt = r.randrange(3)
    title = r.choice(
        ["Most Active Stocks", "Top Gainers", "Top Losers", "Portfolio Watchlist", "Dow Jones & S&P 500 Components"]
    )
    if title == "Top Gainers":
        rows.sort(key=lambda x: -x[7])
    elif title == "Top Losers":
        rows.sort(key=lambda x: x[7])
    elif title == "Most Active Stocks":
        rows.sort(key=lambda x: -x[8])

    def render(k):
        L = [f"{title} — {day:%b %d, %Y} close", "Prices in USD. Volume in shares. Data delayed 15 minutes.", ""]
        if fmt == 0:
            L.append(f"{'Symbol':<7}{'Open':>9}{'High':>9}{'Low':>9}{'Last':>9}{'Chg':>8}{'%Chg':>8}{'Volume':>13}")
            for tk, _nm, op, hi, lo, last, chg, pct, vol, _l52, _h52 in rows[:k]:
                L.append(f"{tk:<7}{op:>9.2f}{hi:>9.2f}{lo:>9.2f}{last:>9.2f}{chg:>+8.2f}{pct:>+7.2f}%{vol:>13,}")
        elif fmt == 1:
            L.append("Symbol,Name,Last,Change,% Change,Volume,52 Wk Low,52 Wk High")
            for tk, nm, _op, _hi, _lo, last, chg, pct, vol, l52, h52 in rows[:k]:
                L.append(f'{tk},"{nm}",{last:.2f},{chg:+.2f},{pct:+.2f}%,{vol},{l52:.2f},{h52:.2f}')
        else:
            L.append("| Company | Symbol | Price | Change | % Change | Volume |")
            L.append("|---|---|---:|---:|---:|---:|")
            for tk, nm, _op, _hi, _lo, last, chg, pct, vol, _l52, _h52 in rows[:k]:
                L.append(f"| {nm} | {tk} | {last:,.2f} | {chg:+.2f} | {pct:+.2f}% | {vol / 1e6:.2f}M |")
        L += [
            "",
            f"Advancers: {sum(1 for x in rows[:k] if x[6] > 0)}  Decliners: {sum(1 for x in rows[:k] if x[6] < 0)}",
            "Market data provided for informational purposes only, not for trading purposes or advice.",
        ]
        return "\n".join(L)

    return fit(render, len(rows), pick_target(r), 4), "generated"


COINS = [
    ("Bitcoin", "BTC", 42000, 19.6e6),
    ("Ethereum", "ETH", 2300, 120e6),
    ("Tether", "USDT", 1.0, 95e9),
    ("BNB", "BNB", 310, 150e6),
    ("Solana", "SOL", 98, 440e6),
    ("XRP", "XRP", 0.52, 54e9),
    ("USD Coin", "USDC", 1.0, 26e9),
    ("Cardano", "ADA", 0.49, 35e9),
    ("Dogecoin", "DOGE", 0.082, 143e9),
    ("Avalanche", "AVAX", 34, 370e6),
    ("TRON", "TRX", 0.11, 88e9),
    ("Chainlink", "LINK", 15.2, 580e6),
    ("Polkadot", "DOT", 7.1, 1.3e9),
    ("Polygon", "MATIC", 0.81, 9.3e9),
    ("Litecoin", "LTC", 69, 74e6),
    ("Shiba Inu", "SHIB", 0.0000094, 589e12),
    ("Uniswap", "UNI", 6.2, 600e6),
    ("Stellar", "XLM", 0.11, 28e9),
    ("Cosmos", "ATOM", 9.4, 380e6),
    ("Monero", "XMR", 160, 18e6),
    ("Ethereum Classic", "ETC", 20.5, 146e6),
    ("Filecoin", "FIL", 5.1, 520e6),
    ("Aptos", "APT", 8.9, 300e6),
    ("Near Protocol", "NEAR", 3.1, 1.06e9),
]


def fmt_price(p):
    if p >= 1000:
        return f"${p:,.2f}"
    if p >= 1:
        return f"${p:.2f}"
    if p >= 0.01:
        return f"${p:.4f}"
    return f"${p:.8f}"


def gen_crypto_feed(r):
    mult = r.uniform(0.5, 1.6)
    rows = []
    for n, s, p, sup in COINS:
        stable = s in ("USDT", "USDC")
        price = p * (1 if stable else mult * r.uniform(0.85, 1.15)) * (1 + (r.gauss(0, 0.0005) if stable else 0))
        rows.append(
            (
                n,
                s,
                price,
                0 if stable else r.gauss(0, 0.6),
                r.gauss(0, 0.05 if stable else 3.5),
                r.gauss(0, 0.1 if stable else 8),
                price * sup,
                price * sup * r.uniform(0.01, 0.2),
                sup,
            )
        )
    rows.sort(key=lambda x: -x[6])
    ts = rdate(r)
    fmt = r.randrange(2)

    def render(k):
        if fmt == 0:
            L = [
                f"Cryptocurrency Prices by Market Cap — {ts:%Y-%m-%d %H:%M} UTC",
                f"The global crypto market cap is ${sum(x[6] for x in rows) / 1e12:.2f}T, a {rows[0][4]:+.2f}% change over the last day.",
                "",
                f"{'#':>3} {'Name':<22}{'Price':>15}{'1h %':>8}{'24h %':>8}{'7d %':>8}{'Market Cap':>20}",
            ]
            for i, (n, s, p, h1, h24, d7, mc, _vol, _sup) in enumerate(rows[:k], 1):
                L.append(
                    f"{i:>3} {n + ' ' + s:<22}{fmt_price(p):>15}{h1:>+7.2f}%{h24:>+7.2f}%{d7:>+7.2f}%{'$' + format(int(mc), ','):>20}"
                )
            L += ["", "Prices are volume-weighted averages across exchanges."]
        else:
            items = []
            for i, (n, s, p, h1, h24, d7, mc, vol, _sup) in enumerate(rows[:k], 1):
                items.append(
                    f'    {{"id": "{n.lower().replace(" ", "-")}", "rank": {i}, "symbol": "{s}", "price_usd": {round(p, 8)!r}, '
                    f'"percent_change_1h": {h1:.2f}, "percent_change_24h": {h24:.2f}, "percent_change_7d": {d7:.2f}, '
                    f'"market_cap_usd": {int(mc)}, "volume_24h_usd": {int(vol)}}}'
                )
            L = [
                "{",
                f'  "status": {{"timestamp": "{ts.strftime("%Y-%m-%dT%H:%M:%S.000Z")}", "error_code": 0, "credit_count": 1}},',
                '  "data": [',
                ",\n".join(items),
                "  ]",
                "}",
            ]
        return "\n".join(L)

    return fit(render, len(rows), pick_target(r), 3), "generated"


TX_DEBIT = [
    "POS PURCHASE {M} {C}",
    "CARD PAYMENT TO {M}",
    "DIRECT DEBIT {U}",
    "ATM WITHDRAWAL {C}",
    "ONLINE TRANSFER TO SAV ****{N}",
    "CHECK #{K}",
    "ACH DEBIT {U} AUTOPAY",
    "RECURRING PMT {S}",
    "DEBIT CARD PURCHASE {M}",
]
TX_CREDIT = [
    "DIRECT DEP {E} PAYROLL",
    "TRANSFER FROM SAV ****{N}",
    "MOBILE DEPOSIT",
    "INTEREST PAYMENT",
    "REFUND {M}",
    "ZELLE FROM {P}",
]
MERCH = [
    "WHOLE FOODS #1023",
    "SHELL OIL 5744",
    "AMAZON MKTPL*2K4",
    "STARBUCKS 08812",
    "TARGET T-1145",
    "COSTCO WHSE 0421",
    "CHIPOTLE 2231",
    "CVS/PHARMACY 0932",
    "HOME DEPOT 4410",
    "TRADER JOE'S 552",
    "UBER *TRIP",
    "WALGREENS 11820",
    "SAFEWAY 1877",
    "BEST BUY 00284",
]
UTIL = [
    "CITY WATER UTIL",
    "PG&E",
    "COMCAST CABLE",
    "STATE FARM INS",
    "VERIZON WIRELESS",
    "DUKE ENERGY",
    "PLANET FITNESS",
]
SUBS = ["NETFLIX.COM", "SPOTIFY USA", "APPLE.COM/BILL", "HULU", "ADOBE *CREATIVE", "NYTIMES DIGITAL"]


def gen_bank_statement(r):
    bank = r.choice(
        [
            "First Community Bank",
            "Pacific Federal Credit Union",
            "Citizens Trust",
            "Heartland National Bank",
            "Summit Savings",
        ]
    )
    start = dt.date(r.choice([2022, 2023, 2024]), r.randrange(1, 13), 1)
    opening = round(r.uniform(300, 9000), 2)
    employer = r.choice(COMPANIES).upper()
    txs = []
    d = start
    for _ in range(70):
        d += dt.timedelta(days=r.choice([0, 0, 1, 1, 2]))
        if r.random() < 0.22:
            desc = r.choice(TX_CREDIT).format(
                E=employer, N=r.randrange(1000, 9999), M=r.choice(MERCH), P=person(r).upper()
            )
            amt = round(r.uniform(1200, 3400), 2) if "PAYROLL" in desc else round(r.uniform(5, 600), 2)
            txs.append((d, desc, None, amt))
        else:
            desc = r.choice(TX_DEBIT).format(
                M=r.choice(MERCH),
                C=r.choice(US_CITIES)[0].upper(),
                U=r.choice(UTIL),
                N=r.randrange(1000, 9999),
                K=r.randrange(1001, 1400),
                S=r.choice(SUBS),
            )
            amt = round(r.choice([r.uniform(3, 60), r.uniform(20, 180), r.uniform(60, 400)]), 2)
            if "ATM" in desc:
                amt = float(r.choice([20, 40, 60, 100, 200]))
            txs.append((d, desc, amt, None))
    acct = f"****{r.randrange(1000, 9999)}"
    holder = person(r).upper()
    street, cityline = address(r)

    def render(k):
        ts = txs[:k]
        bal = opening
        L = [
            bank,
            "STATEMENT OF ACCOUNT",
            "",
            holder,
            street.upper(),
            cityline.upper(),
            "",
            f"Account: Everyday Checking {acct}",
            f"Statement period: {start:%m/%d/%Y} - {ts[-1][0]:%m/%d/%Y}",
            "",
            f"{'Date':<7}{'Description':<38}{'Withdrawals':>12}{'Deposits':>11}{'Balance':>12}",
            f"{start:%m/%d}  {'BEGINNING BALANCE':<38}{'':>12}{'':>11}{bal:>12,.2f}",
        ]
        for d, desc, wd, dep in ts:
            bal += (dep or 0) - (wd or 0)
            L.append(
                f"{d:%m/%d}  {desc[:37]:<38}{(f'{wd:,.2f}' if wd else ''):>12}{(f'{dep:,.2f}' if dep else ''):>11}{bal:>12,.2f}"
            )
        tw = sum(x[2] or 0 for x in ts)
        td = sum(x[3] or 0 for x in ts)
        L += [
            "",
            "SUMMARY",
            f"Beginning balance      ${opening:>12,.2f}",
            f"Deposits/credits (+)   ${td:>12,.2f}",
            f"Withdrawals/debits (-) ${tw:>12,.2f}",
            f"Ending balance         ${bal:>12,.2f}",
            "",
            "Member FDIC. Please examine this statement promptly and report any errors within 60 days.",
        ]
        return "\n".join(L)

    return fit(render, 70, pick_target(r), 4), "generated"


def gen_election_results(r):
    county = r.choice(
        [
            "Adams",
            "Lincoln",
            "Franklin",
            "Jefferson",
            "Madison",
            "Clark",
            "Marion",
            "Warren",
            "Greene",
            "Union",
            "Monroe",
        ]
    )
    race = r.choice(
        [
            "County Commissioner, District 3",
            "State Representative, District 41",
            "Mayor",
            "School Board Member (Vote for 1)",
            "Proposition 12 - Library Bond",
            "Sheriff",
            "U.S. Representative, District 5",
        ]
    )
    year = r.choice([2016, 2018, 2020, 2022, 2024])
    prop = race.startswith("Proposition")
    cands = (
        ["YES", "NO"]
        if prop
        else [
            f"{person(r)} ({p})" for p in r.sample(["DEM", "REP", "LIB", "GRN", "IND", "NPA"], r.choice([2, 2, 3, 4]))
        ]
    )
    shares = [r.uniform(0.5, 1.5) for _ in cands]
    precs = []
    for i in range(60):
        reg = r.randrange(400, 4200)
        turnout = r.uniform(0.28, 0.78)
        votes = int(reg * turnout)
        w = [s * r.uniform(0.6, 1.4) for s in shares]
        split = [int(votes * x / sum(w)) for x in w]
        wi = 0 if prop else r.randrange(0, 6)
        precs.append(
            (
                f"{r.choice(['PCT', 'Precinct', ''])} {i + 1:03d}".strip()
                + (f" {r.choice(['North', 'South', 'East', 'West', 'Central'])}" if r.random() < 0.3 else ""),
                reg,
                split,
                wi,
            )
        )
    fmt = r.randrange(2)

    def render(k):
        ps = precs[:k]
        tot = [sum(p[2][j] for p in ps) for j in range(len(cands))]
        twi = sum(p[3] for p in ps)
        allv = sum(tot) + twi
        L = [
            f"{county} County, {r_state_name}",
            f"{'General' if year % 4 == 0 else 'Midterm'} Election - November {3 + year % 5}, {year}",
            "OFFICIAL CANVASS RESULTS" if fmt else "Unofficial Results - Election Night Reporting",
            "",
            race,
            f"Precincts reporting: {k} of {k + (0 if fmt else k // 7)}",
            "",
        ]
        for c, t in zip(cands, tot, strict=True):
            L.append(f"  {c:<34}{t:>9,}  {t / allv * 100:6.2f}%")
        if twi:
            L.append(f"  {'Write-in':<34}{twi:>9,}  {twi / allv * 100:6.2f}%")
        L += [f"  {'Total':<34}{allv:>9,}", "", "Results by precinct"]
        hdr = (
            "Precinct".ljust(22)
            + "Reg.".rjust(7)
            + "".join((c.split(" (")[0].split()[-1][:9]).rjust(10) for c in cands)
            + "Turnout".rjust(9)
        )
        L.append(hdr)
        for name, reg, split, wi in ps:
            L.append(
                name[:21].ljust(22)
                + f"{reg:>7,}"
                + "".join(f"{v:>10,}" for v in split)
                + f"{(sum(split) + wi) / reg * 100:>8.1f}%"
            )
        L += ["", f"Report generated {dt.date(year, 11, 20):%m/%d/%Y} by the {county} County Board of Elections."]
        return "\n".join(L)

    r_state_name = r.choice(["Ohio", "Pennsylvania", "Wisconsin", "Iowa", "Colorado", "Georgia", "Indiana"])
    return fit(render, 60, pick_target(r), 3), "generated"


AGE_GROUPS = [
    "Under 5 years",
    "5 to 9 years",
    "10 to 14 years",
    "15 to 19 years",
    "20 to 24 years",
    "25 to 29 years",
    "30 to 34 years",
    "35 to 39 years",
    "40 to 44 years",
    "45 to 49 years",
    "50 to 54 years",
    "55 to 59 years",
    "60 to 64 years",
    "65 to 69 years",
    "70 to 74 years",
    "75 to 79 years",
    "80 to 84 years",
    "85 years and over",
]
PLACES = [
    "Ashford",
    "Bellmont",
    "Cedar Falls",
    "Dunmore",
    "Eastwick",
    "Fairview",
    "Glenwood",
    "Harmony",
    "Irvington",
    "Jasper",
    "Kingsley",
    "Lakeside",
    "Millbrook",
    "Newport",
    "Oakdale",
    "Pleasant Hill",
    "Quincy",
    "Riverside",
    "Salem",
    "Troy",
    "Union City",
    "Vernon",
    "Westfield",
    "Yorktown",
    "Zionsville",
    "Brookhaven",
    "Clearwater",
    "Maple Grove",
    "Hillsboro",
    "Georgetown",
]


def gen_census_table(r):
    style = r.randrange(3)
    county = r.choice(["Adams", "Lincoln", "Franklin", "Jefferson", "Madison", "Clark", "Marion", "Warren"]) + " County"
    target = pick_target(r)
    if style == 0:
        pops = []
        for i, g in enumerate(AGE_GROUPS):
            base = r.randrange(2000, 9000) * (1.0 if i < 12 else 0.7 ** (i - 11))
            m = int(base * r.uniform(0.47, 0.53))
            f = int(base) - m + int(base * (0.02 * max(0, i - 12)))
            pops.append((g, m, f))
        tot = sum(m + f for _, m, f in pops)
        L = [
            f"Table P12. SEX BY AGE — {county}",
            "Universe: Total population",
            "Source: Decennial Census (DHC)",
            "",
            f"{'Age group':<20}{'Total':>10}{'Male':>10}{'Female':>10}{'% of total':>12}",
        ]
        for g, m, f in pops:
            L.append(f"{g:<20}{m + f:>10,}{m:>10,}{f:>10,}{(m + f) / tot * 100:>11.1f}%")
        L += [
            f"{'Total':<20}{tot:>10,}{sum(p[1] for p in pops):>10,}{sum(p[2] for p in pops):>10,}{100:>11.1f}%",
            "",
            f"Median age (years): {r.uniform(33, 46):.1f}",
            "Note: Data are subject to disclosure avoidance (differential privacy).",
        ]
        return cut_lines("\n".join(L), MAX_LEN), "generated"
    places = r.sample(PLACES, len(PLACES))
    rows = []
    for p in places:
        p10 = int(r.lognormvariate(9, 1.1))
        p20 = int(p10 * r.uniform(0.88, 1.25))
        area = r.uniform(1.5, 60)
        rows.append((p, p10, p20, area, r.randrange(32000, 115000), r.uniform(4, 24)))

    def render(k):
        if style == 1:
            L = [
                f"Population of incorporated places — {county}",
                "",
                f"{'Place':<16}{'2010':>10}{'2020':>10}{'Change':>9}{'% chg':>8}{'Land mi²':>10}{'Density':>9}",
            ]
            for p, a, b, area, _inc, _pov in rows[:k]:
                L.append(
                    f"{p:<16}{a:>10,}{b:>10,}{b - a:>+9,}{(b - a) / a * 100:>+7.1f}%{area:>10.2f}{b / area:>9,.1f}"
                )
            A = sum(x[1] for x in rows[:k])
            B = sum(x[2] for x in rows[:k])
            L += [
                f"{'Total':<16}{A:>10,}{B:>10,}{B - A:>+9,}{(B - A) / A * 100:>+7.1f}%",
                "",
                "Source: U.S. Census Bureau, 2010 and 2020 Census, Table P1.",
            ]
        else:
            L = [
                f"Selected economic characteristics, ACS 5-year estimates — {county}",
                "",
                "Geography,Total population,Median household income (dollars),MOE (±),Persons in poverty (%),MOE (±)",
            ]
            for p, _a, b, _area, inc, pov in rows[:k]:
                L.append(f'"{p} city",{b},{inc},{int(inc * 0.06 + 800)},{pov:.1f},{pov * 0.18 + 0.6:.1f}')
            L += ["", "Estimates are subject to sampling variability; see ACS accuracy documentation."]
        return "\n".join(L)

    return fit(render, len(rows), target, 5), "generated"


LOTTOS = [
    ("Powerball", 69, 5, 26, "Powerball"),
    ("Mega Millions", 70, 5, 25, "Mega Ball"),
    ("EuroMillions", 50, 5, 12, "Lucky Stars"),
    ("Lotto 6/49", 49, 6, 0, "Bonus"),
    ("UK Lotto", 59, 6, 59, "Bonus Ball"),
    ("Cash4Life", 60, 5, 4, "Cash Ball"),
]


def gen_lottery(r):
    name, n, k_, b, bname = r.choice(LOTTOS)
    d = rdate(r)
    cur = "£" if name == "UK Lotto" else "€" if name == "EuroMillions" else "$"
    draws = []
    jp = r.randrange(20, 200) * 1_000_000
    for i in range(50):
        nums = sorted(r.sample(range(1, n + 1), k_))
        if bname == "Lucky Stars":
            bonus = sorted(r.sample(range(1, b + 1), 2))
        elif b:
            bonus = [r.randrange(1, b + 1)]
        else:
            bonus = [r.choice([x for x in range(1, n + 1) if x not in nums])]
        won = r.random() < 0.06
        draws.append(
            (d - dt.timedelta(days=3.5 * i), nums, bonus, jp, won, r.choice(["2X", "3X", "2X", "4X", "5X", "10X"]))
        )
        jp = jp - r.randrange(8, 30) * 1_000_000 if jp > 40_000_000 else r.randrange(20, 40) * 1_000_000
    style = r.randrange(2)

    def render(kk):
        L = [f"{name} Results — Past Draws", f"Latest draw: {draws[0][0]:%A, %B %d, %Y}", ""]
        if style == 1:
            tiers = [(f"{k_} + {bname}", int(draws[0][3]), int(draws[0][4]))] + [
                (f"{m}{' + ' + bname if bb else ''}", None, None)
                for m, bb in [(k_, 0), (k_ - 1, 1), (k_ - 1, 0), (k_ - 2, 1), (k_ - 2, 0), (1, 1), (0, 1)]
            ]
            L += ["Prize breakdown for latest draw:", f"{'Match':<22}{'Prize':>16}{'Winners':>10}"]
            prize = 1_000_000
            for t, p, w in tiers:
                if p is None:
                    p, w = prize, int(r_t.lognormvariate(2 + (1_000_000 / prize) ** 0.25, 0.7))
                    prize = max(2, prize // r_t.choice([4, 10, 20, 50]))
                    pr = f"{cur}{p:,}"
                else:
                    pr = "Jackpot" if not w else f"{cur}{p:,}"
                L.append(f"{t:<22}{pr:>16}{w:>10,}")
            L.append("")
        L.append(f"{'Draw date':<18}{'Winning numbers':<24}{bname:<12}{'Jackpot':>16}{'' if style else '  Multiplier'}")
        for dd, nums, bonus, j, won, mult in draws[:kk]:
            L.append(
                f"{dd:%a %d %b %Y}   {'-'.join(f'{x:02d}' for x in nums):<24}{' '.join(f'{x:02d}' for x in bonus):<12}{cur + format(j, ','):>16}"
                + ("" if style else f"  {mult}")
                + ("  JACKPOT WON" if won else "")
            )
        L += [
            "",
            "Results are unofficial. In the event of a discrepancy, official draw records shall prevail.",
            "Must be 18 or older to play. Play responsibly.",
        ]
        return "\n".join(L)

    r_t = random.Random(r.random())
    st = r_t.getstate()

    def stable(kk):
        r_t.setstate(st)
        return render(kk)

    return fit(stable, 50, pick_target(r), 3), "generated"


TEAMS = [
    "Hawks",
    "Lakers",
    "Celtics",
    "Bulls",
    "Suns",
    "Nuggets",
    "Heat",
    "Knicks",
    "Warriors",
    "Bucks",
    "Spurs",
    "Jazz",
    "Kings",
    "Magic",
]


def gen_box_score(r):
    t1, t2 = r.sample(TEAMS, 2)
    d = rdate(r)

    def team(tn):
        ps = []
        mins_left = 240
        for i in range(r.randrange(9, 13)):
            mn = min(mins_left, r.randrange(28, 40) if i < 5 else r.randrange(2, 26))
            mins_left -= mn
            fga = int(mn * r.uniform(0.2, 0.6))
            fgm = int(fga * r.uniform(0.3, 0.6))
            tpa = int(fga * r.uniform(0, 0.5))
            tpm = min(fgm, int(tpa * r.uniform(0.2, 0.5)))
            fta = r.randrange(0, 1 + mn // 5)
            ftm = int(fta * r.uniform(0.6, 1))
            orb, drb = r.randrange(0, 1 + mn // 10), r.randrange(0, 1 + mn // 4)
            pts = 2 * fgm + tpm + ftm
            ps.append(
                (
                    f"{r.choice(FIRST)[0]}. {r.choice(LAST)}" + (f" {r.choice(['G', 'F', 'C'])}" if i < 5 else ""),
                    mn,
                    fgm,
                    fga,
                    tpm,
                    tpa,
                    ftm,
                    fta,
                    orb,
                    drb,
                    r.randrange(0, 1 + mn // 4),
                    r.randrange(0, 3),
                    r.randrange(0, 3),
                    r.randrange(0, 4),
                    r.randrange(0, 6),
                    pts,
                    r.randrange(-15, 16),
                )
            )
        return ps

    a, b = team(t1), team(t2)
    sa, sb = sum(p[15] for p in a), sum(p[15] for p in b)

    def qsplit(tot):
        w = [r.uniform(0.8, 1.2) for _ in range(4)]
        q = [int(tot * x / sum(w)) for x in w[:3]]
        return q + [tot - sum(q)]

    qa, qb = qsplit(sa), qsplit(sb)
    hdr = f"{'Player':<16}{'MIN':>4}{'FG':>7}{'3PT':>6}{'FT':>6}{'OREB':>5}{'DREB':>5}{'REB':>4}{'AST':>4}{'STL':>4}{'BLK':>4}{'TO':>3}{'PF':>3}{'PTS':>4}{'+/-':>5}"

    def tbl(tn, ps, k):
        L = [tn.upper(), hdr]
        for p in ps[:k]:
            n, mn, fgm, fga, tpm, tpa, ftm, fta, orb, drb, ast, stl, blk, to, pf, pts, pm = p
            L.append(
                f"{n[:15]:<16}{mn:>4}{f'{fgm}-{fga}':>7}{f'{tpm}-{tpa}':>6}{f'{ftm}-{fta}':>6}{orb:>5}{drb:>5}{orb + drb:>4}{ast:>4}{stl:>4}{blk:>4}{to:>3}{pf:>3}{pts:>4}{pm:>+5}"
            )
        s = [sum(p[i] for p in ps) for i in range(1, 16)]
        L.append(
            f"{'TEAM':<16}{s[0]:>4}{f'{s[1]}-{s[2]}':>7}{f'{s[3]}-{s[4]}':>6}{f'{s[5]}-{s[6]}':>6}{s[7]:>5}{s[8]:>5}{s[7] + s[8]:>4}{s[9]:>4}{s[10]:>4}{s[11]:>4}{s[12]:>3}{s[13]:>3}{s[14]:>4}"
        )
        L.append(
            f"{'':<16}{'':>4}{s[1] / max(1, s[2]) * 100:>6.1f}%{s[3] / max(1, s[4]) * 100:>5.1f}%{s[5] / max(1, s[6]) * 100:>5.1f}%"
        )
        return L

    def render(k):
        L = [
            f"{t1} {sa}, {t2} {sb} — Final",
            f"{d:%B %d, %Y} · Attendance: {r_att:,}",
            "",
            f"{'':<10}{'1':>4}{'2':>4}{'3':>4}{'4':>4}{'T':>5}",
            f"{t1:<10}" + "".join(f"{x:>4}" for x in qa) + f"{sa:>5}",
            f"{t2:<10}" + "".join(f"{x:>4}" for x in qb) + f"{sb:>5}",
            "",
        ]
        L += tbl(t1, a, k) + [""]
        if k >= 5:
            L += tbl(t2, b, k) + [""]
        L += ["Officials: " + ", ".join(person(random.Random(i + sa)) for i in range(3))]
        return "\n".join(L)

    r_att = r.randrange(11000, 21000)
    return fit(render, 13, pick_target(r), 2), "generated"


def gen_csv_export(r):
    schema = r.randrange(4)
    start = rdate(r)
    rows = []
    if schema == 0:
        head = "order_id,order_date,region,sku,units,unit_price,discount,revenue"
        for i in range(120):
            u, p, dsc = r.randrange(1, 40), round(r.uniform(2, 250), 2), r.choice([0, 0, 0.05, 0.1, 0.15])
            rows.append(
                f"{100450 + i},{(start + dt.timedelta(days=i // 4)):%Y-%m-%d},{r.choice(['NE', 'SE', 'MW', 'SW', 'W'])},"
                f"SKU-{r.randrange(1000, 9999)},{u},{p:.2f},{dsc:.2f},{u * p * (1 - dsc):.2f}"
            )
    elif schema == 1:
        head = "timestamp,sensor_id,temperature_c,humidity_pct,pressure_hpa,battery_v"
        sid = [f"S{r.randrange(100, 999)}" for _ in range(3)]
        temp = r.uniform(12, 26)
        for i in range(200):
            temp += r.gauss(0, 0.3)
            rows.append(
                f"{(start + dt.timedelta(minutes=15 * (i // 3))):%Y-%m-%dT%H:%M:%SZ},{sid[i % 3]},{temp + i % 3 * 0.7:.2f},"
                f"{r.uniform(35, 70):.1f},{r.gauss(1013, 4):.1f},{3.7 - i * 0.001:.3f}"
            )
    elif schema == 2:
        head = "Date,Open,High,Low,Close,Adj Close,Volume"
        p = r.uniform(20, 300)
        for i in range(150):
            o = p
            c = p * (1 + r.gauss(0, 0.015))
            h = max(o, c) * (1 + r.random() * 0.01)
            low = min(o, c) * (1 - r.random() * 0.01)
            rows.append(
                f"{(start + dt.timedelta(days=i)):%Y-%m-%d},{o:.6f},{h:.6f},{low:.6f},{c:.6f},{c * 0.987:.6f},{int(r.lognormvariate(15, 0.5))}"
            )
            p = c
    else:
        head = "employee_id,department,hours_regular,hours_overtime,rate,gross_pay,federal_tax,state_tax,net_pay"
        for i in range(120):
            hr, ho, rate = r.choice([40, 40, 38, 32, 40]), r.choice([0, 0, 2.5, 4, 8]), round(r.uniform(16, 58), 2)
            g = hr * rate + ho * rate * 1.5
            rows.append(
                f"E{20310 + i},{r.choice(['OPS', 'FIN', 'ENG', 'HR', 'SALES'])},{hr:.2f},{ho:.2f},{rate:.2f},{g:.2f},{g * 0.12:.2f},{g * 0.045:.2f},{g * 0.835:.2f}"
            )
    return fit(lambda k: "\n".join([head] + rows[:k]) + "\n", len(rows), pick_target(r), 8), "generated"


CURRENCIES = [
    ("Euro", "EUR", 0.92),
    ("British Pound", "GBP", 0.79),
    ("Japanese Yen", "JPY", 149.5),
    ("Swiss Franc", "CHF", 0.88),
    ("Canadian Dollar", "CAD", 1.36),
    ("Australian Dollar", "AUD", 1.52),
    ("Chinese Yuan", "CNY", 7.19),
    ("Indian Rupee", "INR", 83.1),
    ("Mexican Peso", "MXN", 17.1),
    ("Brazilian Real", "BRL", 4.97),
    ("South Korean Won", "KRW", 1330),
    ("Swedish Krona", "SEK", 10.4),
    ("Norwegian Krone", "NOK", 10.6),
    ("Danish Krone", "DKK", 6.87),
    ("Polish Zloty", "PLN", 4.0),
    ("Turkish Lira", "TRY", 30.6),
    ("South African Rand", "ZAR", 18.7),
    ("Singapore Dollar", "SGD", 1.34),
    ("Hong Kong Dollar", "HKD", 7.82),
    ("New Zealand Dollar", "NZD", 1.63),
    ("Thai Baht", "THB", 35.6),
    ("Czech Koruna", "CZK", 22.9),
    ("Hungarian Forint", "HUF", 356),
    ("Israeli Shekel", "ILS", 3.65),
]


def gen_exchange_rates(r):
    d = rdate(r).date()
    base = r.choice(["USD", "USD", "EUR", "GBP"])
    bmul = {"USD": 1.0, "EUR": 1 / 0.92, "GBP": 1 / 0.79}[base]
    rows = [(n, c, v * bmul * r.uniform(0.96, 1.04), r.gauss(0, 0.45)) for n, c, v in CURRENCIES if c != base]
    fmt = r.randrange(2)

    def render(k):
        if fmt == 0:
            L = [
                f"Exchange Rates — {base} — {d:%d %B %Y}",
                f"Reference rates, 1 {base} in foreign currency and inverse.",
                "",
                f"{'Currency':<22}{'Code':<6}{'1 ' + base + ' =':>14}{'per 1 unit':>14}{'Change':>9}",
            ]
            for n, c, v, ch in rows[:k]:
                L.append(f"{n:<22}{c:<6}{v:>14.4f}{1 / v:>14.6f}{ch:>+8.2f}%")
            L += ["", "Rates are mid-market indicative rates and are not offered for transactions."]
        else:
            L = [
                '<?xml version="1.0" encoding="UTF-8"?>',
                '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01">',
                "  <gesmes:subject>Reference rates</gesmes:subject>",
                "  <Cube>",
                f'    <Cube time="{d:%Y-%m-%d}" base="{base}">',
            ]
            for _n, c, v, _ch in rows[:k]:
                L.append(f'      <Cube currency="{c}" rate="{v:.4f}"/>')
            L += ["    </Cube>", "  </Cube>", "</gesmes:Envelope>"]
        return "\n".join(L)

    return fit(render, len(rows), pick_target(r), 6), "generated"


# ================================================================ CODE
CRON_JOBS = [
    "/usr/local/bin/backup.sh",
    "/opt/app/bin/cleanup --days 30",
    "php /var/www/html/artisan schedule:run",
    "/usr/bin/certbot renew --quiet",
    "/home/{u}/scripts/sync_s3.sh",
    "python3 /srv/reports/daily_report.py",
    "/usr/sbin/logrotate /etc/logrotate.conf",
    "find /tmp -type f -mtime +7 -delete",
    "curl -fsS -m 10 --retry 5 -o /dev/null https://hc-ping.com/{uuid}",
    "pg_dump -U postgres {db} | gzip > /var/backups/{db}_$(date +\\%F).sql.gz",
    "/usr/bin/rsync -az /var/www/ backup@nas:/volume1/www/",
    'docker system prune -af --filter "until=72h"',
    "/opt/scripts/check_disk.sh",
    "wget -q -O - https://example.com/wp-cron.php?doing_wp_cron",
    "/usr/bin/apt-get update -qq",
    "/opt/monitor/collect_metrics.py --push",
    "mysqldump --single-transaction {db} > /var/backups/{db}.sql",
    "/usr/local/bin/renew_tokens.sh",
    "cd /srv/app && ./bin/rake jobs:work",
    "/usr/bin/flock -n /tmp/import.lock /opt/etl/import.sh",
]


def cron_spec(r):
    return r.choice(
        [
            "*/5 * * * *",
            "*/15 * * * *",
            "0 * * * *",
            "30 2 * * *",
            "0 3 * * 0",
            "15 4 1 * *",
            "@reboot",
            "@daily",
            "@hourly",
            "0 0 * * 1-5",
            "45 23 * * *",
            "*/10 8-18 * * 1-5",
            "0 */6 * * *",
            "5 0 * * *",
            "0 12 1,15 * *",
            "20 1 * * 6",
        ]
    )


def gen_crontab(r):
    u = r.choice(["deploy", "www-data", "ubuntu", "admin", "root", "jenkins"])
    jobs = []
    for _ in range(50):
        j = r.choice(CRON_JOBS).format(
            u=u,
            db=r.choice(["shop", "appdb", "wordpress", "analytics"]),
            uuid=f"{r.getrandbits(32):08x}-{r.getrandbits(16):04x}-{r.getrandbits(16):04x}-{r.getrandbits(16):04x}-{r.getrandbits(48):012x}",
        )
        redir = r.choice(
            [
                " > /dev/null 2>&1",
                " >> /var/log/cron-"
                + (j.replace("/", " ").split() or ["job"])[-1].split(".")[0].strip('$()\\-"')[:12]
                + ".log 2>&1",
                "",
                " 2>&1 | logger -t cron",
            ]
        )
        com = r.choice(
            [
                None,
                None,
                None,
                "# nightly backup",
                "# keep tmp clean",
                "# TODO: move to systemd timer",
                "# metrics",
                "# disabled 2023-04 -- see ticket OPS-" + str(r.randrange(100, 999)),
            ]
        )
        jobs.append((com, ("#" if com and "disabled" in com else "") + f"{cron_spec(r)} {j}{redir}"))
    sysstyle = r.random() < 0.3
    hdr = (
        [
            "# Edit this file to introduce tasks to be run by cron.",
            "#",
            "# Each task to run has to be defined through a single line",
            "# indicating with different fields when the task will be run",
            "# and what command to run for the task",
            "#",
            "# m h  dom mon dow   command",
        ]
        if r.random() < 0.6
        else [f"# crontab for {u} - managed by Ansible, do not edit by hand"]
    )
    env = [
        "SHELL=/bin/bash",
        "PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin",
        "MAILTO=" + r.choice(["ops@example.com", '""', "root"]),
        "",
    ]

    def render(k):
        L = hdr + [""] + env
        for com, line in jobs[:k]:
            if com:
                L.append(com)
            if sysstyle:
                parts = line.split(" ", 5 if not line.lstrip("#").startswith("@") else 1)
                line = " ".join(parts[:-1]) + f" {u} " + parts[-1]
            L.append(line)
        return "\n".join(L) + "\n"

    return fit(render, 50, pick_target(r), 4), "generated"


def _mode(m):
    return stat.filemode(m)


def gen_ls_listing_all():
    dirs = [
        "/usr/bin",
        "/etc",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/share/doc",
        "/usr/include",
        "/usr/lib/python3.11",
        "/usr/share/man/man1",
        "/usr/sbin",
        "/usr/share/X11/locale",
        "/usr/share/maven-repo",
        "/usr/lib/python3.11/encodings",
    ]
    dirs = [d for d in dirs if os.path.isdir(d)]
    out = []
    now = dt.datetime(2024, 12, 31).timestamp()
    for _idx, d in enumerate(dirs[:DOCS_PER_KIND]):
        r = random.Random(f"ls-{d}")
        names = sorted(os.listdir(d))
        ents = []
        for n in names:
            p = os.path.join(d, n)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            try:
                owner = pwd.getpwuid(st.st_uid).pw_name
            except KeyError:
                owner = str(st.st_uid)
            try:
                group = grp.getgrgid(st.st_gid).gr_name
            except KeyError:
                group = str(st.st_gid)
            mt = dt.datetime.fromtimestamp(st.st_mtime)
            ts = mt.strftime("%b %e %H:%M") if now - st.st_mtime < 180 * 86400 else mt.strftime("%b %e  %Y")
            tgt = ""
            if stat.S_ISLNK(st.st_mode):
                try:
                    tgt = " -> " + os.readlink(p)
                except OSError:
                    pass
            ents.append(f"{_mode(st.st_mode)} {st.st_nlink:>2} {owner} {group} {st.st_size:>8} {ts} {n}{tgt}")
        target = pick_target(r)
        start = r.randrange(0, max(1, len(ents) - 10))
        cmd = "ls -l"

        def render(k, ents=ents, start=start, cmd=cmd, d=d):
            sel = ents[start : start + k]
            return f"$ {cmd} {d}\ntotal {sum(int(x.split()[4]) for x in sel) // 1024 + 4}\n" + "\n".join(sel) + "\n"

        out.append((fit(render, len(ents) - start, target, 4), d))
    return out


PROCS = [
    ("root", "/sbin/init", 1),
    ("root", "[kthreadd]", 0),
    ("root", "[rcu_gp]", 0),
    ("root", "[kworker/0:0H-events_highpri]", 0),
    ("root", "[ksoftirqd/{c}]", 0),
    ("root", "[migration/{c}]", 0),
    ("root", "[kworker/{c}:1-events]", 0),
    ("root", "/lib/systemd/systemd-journald", 1),
    ("root", "/lib/systemd/systemd-udevd", 1),
    ("systemd+", "/lib/systemd/systemd-resolved", 1),
    ("root", "/usr/sbin/cron -f", 1),
    (
        "message+",
        "/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only",
        1,
    ),
    ("root", "/usr/sbin/rsyslogd -n -iNONE", 1),
    ("root", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", 1),
    ("root", "/usr/sbin/sshd -D", 1),
    ("root", "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;", 1),
    ("www-data", "nginx: worker process", 1),
    ("www-data", "nginx: worker process", 1),
    (
        "postgres",
        "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf",
        1,
    ),
    ("postgres", "postgres: 15/main: checkpointer", 1),
    ("postgres", "postgres: 15/main: background writer", 1),
    ("postgres", "postgres: 15/main: walwriter", 1),
    ("postgres", "postgres: 15/main: autovacuum launcher", 1),
    ("postgres", "postgres: 15/main: app appdb 10.0.0.{c}(5{c}412) idle", 1),
    (
        "deploy",
        "/srv/app/venv/bin/python3 /srv/app/venv/bin/gunicorn app.wsgi:application --workers 4 --bind 127.0.0.1:8000",
        1,
    ),
    (
        "deploy",
        "/srv/app/venv/bin/python3 /srv/app/venv/bin/gunicorn app.wsgi:application --workers 4 --bind 127.0.0.1:8000",
        1,
    ),
    (
        "deploy",
        "/srv/app/venv/bin/python3 /srv/app/venv/bin/gunicorn app.wsgi:application --workers 4 --bind 127.0.0.1:8000",
        1,
    ),
    ("redis", "/usr/bin/redis-server 127.0.0.1:6379", 1),
    ("root", "/usr/bin/containerd", 1),
    ("root", "/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock", 1),
    ("root", "/usr/bin/containerd-shim-runc-v2 -namespace moby -id {h} -address /run/containerd/containerd.sock", 1),
    ("root", "/sbin/agetty -o -p -- \\u --noclear tty1 linux", 1),
    ("deploy", "-bash", 1),
    ("deploy", "ps aux", 1),
    ("root", "/usr/lib/policykit-1/polkitd --no-debug", 1),
    ("root", "/usr/sbin/chronyd -F 1", 1),
    ("_chrony", "/usr/sbin/chronyd -F 1", 1),
    ("root", "[jbd2/sda1-8]", 0),
    ("root", "[kworker/u8:{c}-flush-8:0]", 0),
    ("node_ex+", "/usr/local/bin/node_exporter --collector.systemd", 1),
]


def gen_ps_output(r):
    pid = 0
    rows = []
    t0 = r.choice(["Mar04", "Jan11", "09:12", "2023", "Nov28"])
    for i, (u, cmd, ut) in enumerate(PROCS):
        for _ in range(r.choice([1, 1, 1, 2]) if "{c}" in cmd else 1):
            pid = pid + (1 if i < 10 else r.randrange(1, 400))
            c = cmd.format(c=r.randrange(0, 8), h=f"{r.getrandbits(64):016x}{r.getrandbits(64):016x}"[:64])
            big = ut and not cmd.startswith(("-bash", "/sbin/agetty"))
            vsz = r.randrange(80000, 1900000) if big else (0 if not ut else r.randrange(5000, 12000))
            rss = int(vsz * r.uniform(0.01, 0.3)) if vsz else 0
            rows.append(
                (
                    u,
                    pid,
                    r.choice([0.0, 0.0, 0.0, 0.1, 0.3, 1.2, 2.7]) if big else 0.0,
                    round(rss / 16_000_000 * 100, 1),
                    vsz,
                    rss,
                    "?" if big or not ut else r.choice(["tty1", "pts/0"]),
                    r.choice(["Ss", "S", "Sl", "Ssl", "S<", "I<", "I", "R+" if "ps aux" in c else "S"]),
                    t0 if i < 30 else r.choice(["10:41", "11:02", "12:17"]),
                    f"{r.randrange(0, 90)}:{r.randrange(0, 60):02d}",
                    c,
                )
            )
    fmt = r.randrange(2)
    width = r.choice([None, 120, 160])

    def render(k):
        if fmt == 0:
            L = [
                "$ ps aux" if width is None else f"$ ps auxww | cut -c1-{width}",
                "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND",
            ]
            for u, p, cpu, mem, vsz, rss, tty, stt, start, tm, c in rows[:k]:
                line = f"{u:<10}{p:>7} {cpu:>4} {mem:>4} {vsz:>6} {rss:>5} {tty:<8} {stt:<4} {start:<5} {tm:>6} {c}"
                L.append(line[:width] if width else line)
        else:
            L = [
                f"top - {r_t:%H:%M:%S} up {r_up} days,  3:{k:02d},  2 users,  load average: 0.{k % 9}8, 0.41, 0.37",
                f"Tasks: {len(rows)} total,   1 running, {len(rows) - 1} sleeping,   0 stopped,   0 zombie",
                "%Cpu(s):  3.1 us,  1.0 sy,  0.0 ni, 95.6 id,  0.2 wa,  0.0 hi,  0.1 si,  0.0 st",
                "MiB Mem :  15988.6 total,   6234.1 free,   3120.9 used,   6633.6 buff/cache",
                "MiB Swap:   2048.0 total,   2048.0 free,      0.0 used.  12513.2 avail Mem",
                "",
                "    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND",
            ]
            for u, p, cpu, mem, vsz, rss, _tty, stt, _start, tm, c in sorted(rows[:k], key=lambda x: -x[2]):
                L.append(
                    f"{p:>7} {u:<9} {20 if 'S<' not in stt else 0:>3} {0 if 'S<' not in stt else -20:>3} {vsz:>7} {rss:>6} {int(rss * 0.4):>6} {stt[0]} {cpu:>5} {mem:>5} {tm:>6}.{p % 100:02d} {c.split()[0].split('/')[-1][:15]}"
                )
        return "\n".join(L) + "\n"

    r_t, r_up = rdate(r), r.randrange(1, 400)
    return fit(render, len(rows), pick_target(r), 5), "generated"


def gen_hexdump_all():
    cands = [
        "/usr/bin/ls",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/etc/ld.so.cache",
        "/usr/bin/python3.11",
        "/usr/share/X11/locale/compose.dir",
        "/usr/lib/python3.11/__pycache__/os.cpython-311.pyc",
        "/usr/bin/gzip",
        "/usr/share/mime/mime.cache",
        "/etc/localtime",
        "/usr/bin/bash",
        "/usr/lib/x86_64-linux-gnu/libz.so.1",
        "/usr/share/terminfo/x/xterm",
    ]
    out = []
    for f in cands:
        if len(out) == DOCS_PER_KIND:
            break
        rp = os.path.realpath(f)
        if not os.path.isfile(rp) or os.path.getsize(rp) < 512:
            continue
        r = random.Random(f"hex-{f}")
        size = os.path.getsize(rp)
        off = 0 if r.random() < 0.4 else (r.randrange(0, max(1, size - 4096)) // 16) * 16
        with open(rp, "rb") as fh:
            fh.seek(off)
            data = fh.read(4096)
        style = r.randrange(2)
        target = pick_target(r)

        def render(nlines, data=data, off=off, style=style, f=f):
            L = [f"$ hexdump -C {f}" + (f" -s {off:#x}" if off else "") if style == 0 else f"$ xxd -s {off} {f}"]
            prev = None
            star = False
            for i in range(0, min(len(data), nlines * 16), 16):
                chunk = data[i : i + 16]
                if style == 0:
                    if chunk == prev and len(chunk) == 16:
                        if not star:
                            L.append("*")
                            star = True
                        continue
                    star = False
                    prev = chunk
                    hx = " ".join(f"{b:02x}" for b in chunk[:8]) + "  " + " ".join(f"{b:02x}" for b in chunk[8:])
                    asc = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
                    L.append(f"{off + i:08x}  {hx:<48}  |{asc}|")
                else:
                    hx = " ".join(chunk[j : j + 2].hex() for j in range(0, len(chunk), 2))
                    asc = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
                    L.append(f"{off + i:08x}: {hx:<39}  {asc}")
            return "\n".join(L) + "\n"

        out.append((fit(render, 256, target, 6), rp))
    return out


SITES = [
    "example.com",
    "shop.example.org",
    "api.acme.io",
    "blog.northwind.dev",
    "static.cdn-assets.net",
    "app.internal.lan",
    "www.brightpath.co.uk",
]


def gen_nginx(r):
    blocks = []
    for _ in range(10):
        site = r.choice(SITES)
        up = site.split(".")[0] + "_backend"
        port = r.choice([3000, 8000, 8080, 5000, 9000])
        locs = []
        for path in r.sample(
            [
                "/",
                "/api/",
                "/static/",
                "/media/",
                "/ws/",
                "/health",
                "/admin/",
                "~ \\.php$",
                "/.well-known/acme-challenge/",
                "= /favicon.ico",
            ],
            r.randrange(2, 6),
        ):
            if path == "/static/" or path == "/media/":
                body = [
                    f"alias /srv/{site.split('.')[0]}{path};",
                    f"expires {r.choice(['7d', '30d', 'max'])};",
                    "access_log off;",
                    'add_header Cache-Control "public";',
                ]
            elif "php" in path:
                body = [
                    "include snippets/fastcgi-php.conf;",
                    f"fastcgi_pass unix:/run/php/php8.{r.randrange(1, 4)}-fpm.sock;",
                ]
            elif "acme" in path:
                body = ["root /var/www/letsencrypt;", 'default_type "text/plain";']
            elif "favicon" in path:
                body = ["log_not_found off;", "access_log off;"]
            elif path == "/ws/":
                body = [
                    f"proxy_pass http://{up};",
                    "proxy_http_version 1.1;",
                    "proxy_set_header Upgrade $http_upgrade;",
                    'proxy_set_header Connection "upgrade";',
                ]
            else:
                body = [
                    f"proxy_pass http://{up};",
                    "proxy_set_header Host $host;",
                    "proxy_set_header X-Real-IP $remote_addr;",
                    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                    "proxy_set_header X-Forwarded-Proto $scheme;",
                ] + ([f"proxy_read_timeout {r.choice([30, 60, 120, 300])}s;"] if r.random() < 0.4 else [])
                if path == "/admin/":
                    body = ["allow 10.0.0.0/8;", "deny all;"] + body
            locs.append((path, body))
        ssl = r.random() < 0.7
        L = []
        if r.random() < 0.5:
            L += (
                [f"upstream {up} {{", f"    server 127.0.0.1:{port};"]
                + ([f"    server 127.0.0.1:{port + 1};"] if r.random() < 0.5 else [])
                + ["    keepalive 32;", "}", ""]
            )
        if ssl:
            L += [
                "server {",
                "    listen 80;",
                "    listen [::]:80;",
                f"    server_name {site} www.{site};",
                "    return 301 https://$host$request_uri;",
                "}",
                "",
            ]
        L += [
            "server {",
            f"    listen {'443 ssl http2' if ssl else '80'};",
            f"    listen [::]:{'443 ssl http2' if ssl else '80'};",
            f"    server_name {site};",
            "",
        ]
        if ssl:
            L += [
                f"    ssl_certificate /etc/letsencrypt/live/{site}/fullchain.pem;",
                f"    ssl_certificate_key /etc/letsencrypt/live/{site}/privkey.pem;",
                "    include /etc/letsencrypt/options-ssl-nginx.conf;",
                "",
            ]
        L += [
            f"    access_log /var/log/nginx/{site}.access.log;",
            f"    error_log /var/log/nginx/{site}.error.log warn;",
            f"    client_max_body_size {r.choice(['10M', '20M', '100M', '1m'])};",
            "",
        ]
        for path, body in locs:
            L += [f"    location {path} {{"] + [f"        {b}" for b in body] + ["    }", ""]
        L[-1] = "}"
        blocks.append("\n".join(L))
    head = r.choice(
        [
            "",
            f"# /etc/nginx/sites-available/{r.choice(SITES)}\n# Managed by Ansible. Local changes will be overwritten.\n\n",
            "# generated by certbot-nginx and hand-edited\n\n",
        ]
    )
    return fit(lambda k: head + "\n\n".join(blocks[:k]) + "\n", 10, pick_target(r), 1) if len(
        head + blocks[0]
    ) < MAX_LEN else cut_lines(head + blocks[0], MAX_LEN), "generated"


APT_PKGS = [
    "build-essential",
    "curl",
    "wget",
    "git",
    "ca-certificates",
    "gnupg",
    "unzip",
    "libpq-dev",
    "libssl-dev",
    "libffi-dev",
    "zlib1g-dev",
    "libjpeg-dev",
    "libpng-dev",
    "pkg-config",
    "cmake",
    "ffmpeg",
    "libxml2-dev",
    "libxslt1-dev",
    "locales",
    "tzdata",
    "vim",
    "jq",
    "openssh-client",
    "python3-dev",
    "gcc",
    "g++",
    "make",
    "netcat-openbsd",
    "postgresql-client",
    "libsqlite3-dev",
    "graphviz",
    "imagemagick",
]
PIP_PKGS = [
    "numpy==1.26.4",
    "pandas==2.1.4",
    "flask==3.0.0",
    "gunicorn==21.2.0",
    "psycopg2-binary==2.9.9",
    "requests==2.31.0",
    "celery==5.3.6",
    "redis==5.0.1",
    "boto3==1.34.11",
    "pydantic==2.5.3",
    "uvicorn[standard]==0.25.0",
    "fastapi==0.108.0",
    "sqlalchemy==2.0.25",
    "pillow==10.2.0",
]


def gen_dockerfile(r):
    base = r.choice(
        [
            "python:3.11-slim",
            "python:3.10-bullseye",
            "ubuntu:22.04",
            "debian:bookworm-slim",
            "node:20-bookworm",
            "nvidia/cuda:12.2.0-devel-ubuntu22.04",
            "golang:1.21",
        ]
    )
    lines = [
        "# syntax=docker/dockerfile:1" if r.random() < 0.4 else "",
        f"FROM {base}",
        "",
        f'LABEL maintainer="{person(r)} <{username(r)}@example.com>"',
        "",
        "ENV DEBIAN_FRONTEND=noninteractive \\",
        "    LANG=C.UTF-8 \\",
        "    LC_ALL=C.UTF-8 \\",
        "    PYTHONDONTWRITEBYTECODE=1 \\",
        "    PYTHONUNBUFFERED=1",
        "",
    ]
    style = r.randrange(2)
    pk = r.sample(APT_PKGS, len(APT_PKGS))
    steps = []
    if style == 0:  # the naive many-RUN style
        steps += ["RUN apt-get update"] + [f"RUN apt-get install -y {p}" for p in pk[: r.randrange(6, 20)]]
    else:
        steps += (
            ["RUN apt-get update && apt-get install -y --no-install-recommends \\"]
            + [f"        {p} \\" for p in sorted(pk[: r.randrange(6, 22)])]
            + ["    && rm -rf /var/lib/apt/lists/*"]
        )
    steps += [
        "",
        f"WORKDIR /{r.choice(['app', 'srv/app', 'opt/service', 'workspace'])}",
        "",
        "COPY requirements.txt .",
        "RUN pip install --upgrade pip",
    ]
    steps += (
        [f"RUN pip install --no-cache-dir {p}" for p in r.sample(PIP_PKGS, r.randrange(3, 10))]
        if r.random() < 0.6
        else ["RUN pip install --no-cache-dir -r requirements.txt"]
    )
    steps += [
        "",
        "COPY . .",
        f"RUN useradd -m -u {r.choice([1000, 1001, 10001])} appuser && chown -R appuser /app"
        if r.random() < 0.5
        else "RUN chmod +x ./entrypoint.sh",
        "USER appuser" if r.random() < 0.5 else "",
        f"EXPOSE {r.choice([80, 5000, 8000, 8080])}",
        r.choice(["HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost:8000/health || exit 1", ""]),
        r.choice(
            [
                'CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]',
                'ENTRYPOINT ["./entrypoint.sh"]',
                'CMD ["python", "main.py"]',
                'CMD ["npm", "start"]',
            ]
        ),
    ]
    text = "\n".join(x for x in lines + steps if x is not None).strip() + "\n"
    while len(text) < MIN_LEN:
        text += f"RUN echo 'step {len(text)}' >> /build.log\n"
    return cut_lines(text, MAX_LEN), "generated"


CC_TYPES = ["feat", "fix", "chore", "docs", "refactor", "test", "ci", "perf", "build", "style"]
CC_SCOPES = ["api", "auth", "ui", "deps", "parser", "cli", "db", "config", "build", "core", "docs", "i18n"]
CC_MSG = [
    "add pagination to list endpoint",
    "handle empty response body",
    "bump lodash from 4.17.20 to 4.17.21",
    "update README",
    "remove unused imports",
    "fix typo in error message",
    "add retry on timeout",
    "upgrade to node 20",
    "migrate to pyproject.toml",
    "add missing translations",
    "cache user lookups",
    "rename config option",
    "fix flaky test",
    "add dark mode toggle",
    "validate email format",
    "drop python 3.7 support",
    "improve logging",
    "lint",
    "format with black",
    "update snapshots",
    "fix null pointer when config missing",
    "add CONTRIBUTING guide",
    "bump version to {v}",
    "wip",
    "address review comments",
]


def gen_git_log(r):
    ver = [r.randrange(0, 4), r.randrange(0, 20), 0]
    commits = []
    for _i in range(120):
        h = f"{r.getrandbits(28):07x}"
        x = r.random()
        if x < 0.12:
            msg = f"Merge pull request #{r.randrange(100, 4000)} from {username(r)}/{r.choice(CC_TYPES)}/{r.choice(CC_SCOPES)}-{r.choice(WORDS)}"
        elif x < 0.18:
            msg = f"Merge branch '{r.choice(['main', 'develop', 'release/' + str(ver[0]) + '.' + str(ver[1])])}' into {r.choice(['main', 'feature/' + r.choice(WORDS)])}"
        elif x < 0.23:
            ver[2] += 1
            msg = f"chore(release): v{ver[0]}.{ver[1]}.{ver[2]}"
        elif x < 0.7:
            msg = f"{r.choice(CC_TYPES)}({r.choice(CC_SCOPES)}): {r.choice(CC_MSG)}".format(v=".".join(map(str, ver)))
        else:
            m = r.choice(CC_MSG).format(v=".".join(map(str, ver)))
            msg = m[0].upper() + m[1:] + (f" (#{r.randrange(100, 4000)})" if r.random() < 0.5 else "")
        commits.append((h, msg, ".".join(map(str, ver))))
    graph = r.random() < 0.3

    def render(k):
        L = [f"$ git log --oneline{' --graph' if graph else ''}{' -n ' + str(k) if r_n else ''}"]
        for i, (h, m, v) in enumerate(commits[:k]):
            deco = (
                " (HEAD -> main, origin/main, origin/HEAD)"
                if i == 0
                else (f" (tag: v{v})" if m.startswith("chore(release)") else "")
            )
            pre = ("* " if not m.startswith("Merge") else "*   ") if graph else ""
            L.append(f"{pre}{h}{deco} {m}")
            if graph and m.startswith("Merge"):
                L.append("|\\  ")
        return "\n".join(L) + "\n"

    r_n = r.random() < 0.4
    return fit(render, 120, pick_target(r), 8), "generated"


PO_STRINGS = [
    ("File", "Datei", "Fichier", "Archivo"),
    ("Open…", "Öffnen…", "Ouvrir…", "Abrir…"),
    ("Save", "Speichern", "Enregistrer", "Guardar"),
    ("Save As…", "Speichern unter…", "Enregistrer sous…", "Guardar como…"),
    ("Close", "Schließen", "Fermer", "Cerrar"),
    ("Quit", "Beenden", "Quitter", "Salir"),
    ("Edit", "Bearbeiten", "Édition", "Editar"),
    ("Undo", "Rückgängig", "Annuler", "Deshacer"),
    ("Redo", "Wiederholen", "Rétablir", "Rehacer"),
    ("Cut", "Ausschneiden", "Couper", "Cortar"),
    ("Copy", "Kopieren", "Copier", "Copiar"),
    ("Paste", "Einfügen", "Coller", "Pegar"),
    ("Preferences", "Einstellungen", "Préférences", "Preferencias"),
    ("Help", "Hilfe", "Aide", "Ayuda"),
    ("About", "Über", "À propos", "Acerca de"),
    ("Cancel", "Abbrechen", "Annuler", "Cancelar"),
    ("OK", "OK", "OK", "Aceptar"),
    ("Apply", "Anwenden", "Appliquer", "Aplicar"),
    ("Delete", "Löschen", "Supprimer", "Eliminar"),
    ("Rename", "Umbenennen", "Renommer", "Renombrar"),
    ("Search", "Suchen", "Rechercher", "Buscar"),
    ("Settings", "Einstellungen", "Paramètres", "Configuración"),
    ("Username", "Benutzername", "Nom d'utilisateur", "Nombre de usuario"),
    ("Password", "Passwort", "Mot de passe", "Contraseña"),
    ("Log in", "Anmelden", "Se connecter", "Iniciar sesión"),
    ("Log out", "Abmelden", "Se déconnecter", "Cerrar sesión"),
    (
        "Could not open file “%s”",
        "Datei „%s“ konnte nicht geöffnet werden",
        "Impossible d'ouvrir le fichier « %s »",
        "No se pudo abrir el archivo «%s»",
    ),
    (
        "Are you sure you want to delete %s?",
        "Möchten Sie %s wirklich löschen?",
        "Voulez-vous vraiment supprimer %s ?",
        "¿Seguro que desea eliminar %s?",
    ),
    (
        "An unknown error occurred.",
        "Ein unbekannter Fehler ist aufgetreten.",
        "Une erreur inconnue s'est produite.",
        "Se produjo un error desconocido.",
    ),
    ("Show hidden files", "Versteckte Dateien anzeigen", "Afficher les fichiers cachés", "Mostrar archivos ocultos"),
    ("Zoom In", "Vergrößern", "Zoom avant", "Acercar"),
    ("Zoom Out", "Verkleinern", "Zoom arrière", "Alejar"),
    ("Print…", "Drucken…", "Imprimer…", "Imprimir…"),
    ("Select All", "Alles auswählen", "Tout sélectionner", "Seleccionar todo"),
    ("Find and Replace", "Suchen und Ersetzen", "Rechercher et remplacer", "Buscar y reemplazar"),
    ("Recent Files", "Zuletzt verwendete Dateien", "Fichiers récents", "Archivos recientes"),
    ("Language", "Sprache", "Langue", "Idioma"),
    ("Loading…", "Wird geladen…", "Chargement…", "Cargando…"),
    ("Connection lost", "Verbindung verloren", "Connexion perdue", "Conexión perdida"),
    ("Retry", "Erneut versuchen", "Réessayer", "Reintentar"),
    ("Download", "Herunterladen", "Télécharger", "Descargar"),
    ("Upload", "Hochladen", "Téléverser", "Subir"),
]
PO_LANGS = [
    ("de", "German", 1, "nplurals=2; plural=(n != 1);"),
    ("fr", "French", 2, "nplurals=2; plural=(n > 1);"),
    ("es", "Spanish", 3, "nplurals=2; plural=(n != 1);"),
    (None, None, 0, ""),
]


def gen_po(r):
    proj = r.choice(
        ["gedit", "nautilus-share", "myapp", "photo-organizer", "tasklist", "weather-applet", "transmission-gtk"]
    )
    code, lang, idx, plural = r.choice(PO_LANGS)
    srcs = [
        f"src/{r.choice(['main', 'window', 'dialogs', 'menu', 'prefs', 'file-ops', 'login'])}.{r.choice(['c', 'vala', 'py', 'ui'])}"
        for _ in range(12)
    ]
    ents = r.sample(PO_STRINGS, len(PO_STRINGS))
    year = r.choice([2019, 2021, 2022, 2023])
    tr = person(r)
    hdr = (
        [
            f"# {lang or 'Template'} translation{'s' if not lang else ''} for {proj}.",
            f"# Copyright (C) {year} THE {proj.upper()}'S COPYRIGHT HOLDER",
            f"# This file is distributed under the same license as the {proj} package.",
            f"# {tr} <{username(r)}@example.org>, {year}." if lang else "# FIRST AUTHOR <EMAIL@ADDRESS>, YEAR.",
            "#",
            'msgid ""',
            'msgstr ""',
            f'"Project-Id-Version: {proj} {r.randrange(1, 45)}.{r.randrange(0, 10)}\\n"',
            f'"Report-Msgid-Bugs-To: https://gitlab.example.org/{proj}/issues\\n"',
            f'"POT-Creation-Date: {year}-0{r.randrange(1, 9)}-1{r.randrange(0, 9)} 14:2{r.randrange(0, 9)}+0000\\n"',
            f'"PO-Revision-Date: {year}-0{r.randrange(1, 9)}-2{r.randrange(0, 9)} 09:1{r.randrange(0, 9)}+0100\\n"'
            if lang
            else '"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n"',
            f'"Last-Translator: {tr}\\n"' if lang else '"Last-Translator: FULL NAME <EMAIL@ADDRESS>\\n"',
            f'"Language-Team: {lang} <{code}@li.org>\\n"' if lang else '"Language-Team: LANGUAGE <LL@li.org>\\n"',
            f'"Language: {code or ""}\\n"',
            '"MIME-Version: 1.0\\n"',
            '"Content-Type: text/plain; charset=UTF-8\\n"',
            '"Content-Transfer-Encoding: 8bit\\n"',
        ]
        + ([f'"Plural-Forms: {plural}\\n"'] if lang else [])
        + [""]
    )
    body = []
    for e in ents:
        refs = " ".join(f"{r.choice(srcs)}:{r.randrange(20, 1400)}" for _ in range(r.choice([1, 1, 2, 3])))
        blk = [f"#: {refs}"]
        if "%s" in e[0]:
            blk.append("#, c-format" if r.random() < 0.8 or not lang else "#, fuzzy, c-format")
        elif lang and r.random() < 0.08:
            blk.append("#, fuzzy")
        if r.random() < 0.1:
            blk.insert(0, f"#. Translators: {r.choice(['menu item', 'button label', 'dialog title', 'tooltip'])}")
        blk.append(f'msgid "{e[0]}"')
        blk.append(f'msgstr "{e[idx] if idx and r.random() > 0.06 else ""}"')
        body.append("\n".join(blk) + "\n")
    return fit(lambda k: "\n".join(hdr) + "\n" + "\n".join(body[:k]), len(body), pick_target(r), 3), "generated"


PB_ENTS = {
    "User": [
        "string id",
        "string email",
        "string display_name",
        "google.protobuf.Timestamp created_at",
        "bool is_active",
        "repeated string roles",
        "UserStatus status",
    ],
    "Order": [
        "string order_id",
        "string user_id",
        "repeated LineItem items",
        "int64 total_cents",
        "string currency",
        "OrderStatus status",
        "google.protobuf.Timestamp placed_at",
        "Address shipping_address",
    ],
    "LineItem": ["string sku", "int32 quantity", "int64 unit_price_cents", "string description"],
    "Address": [
        "string line1",
        "string line2",
        "string city",
        "string region",
        "string postal_code",
        "string country_code",
    ],
    "Product": [
        "string sku",
        "string name",
        "string description",
        "int64 price_cents",
        "repeated string tags",
        "int32 stock",
        "bool discontinued",
    ],
    "Device": [
        "string device_id",
        "string model",
        "string firmware_version",
        "double latitude",
        "double longitude",
        "google.protobuf.Timestamp last_seen",
        "map<string, string> labels",
    ],
    "Event": [
        "string event_id",
        "string type",
        "bytes payload",
        "google.protobuf.Timestamp ts",
        "string source",
        "int32 version",
    ],
}


def gen_protobuf(r):
    pkg = r.choice(["acme.shop.v1", "northwind.users.v1", "telemetry.v2", "inventory.api.v1", "billing.v1beta1"])
    ents = r.sample(list(PB_ENTS), r.randrange(3, 7))
    svc = pkg.split(".")[-2].capitalize() + "Service"
    L = [
        'syntax = "proto3";',
        "",
        f"package {pkg};",
        "",
        'import "google/protobuf/timestamp.proto";',
        'import "google/protobuf/empty.proto";' if r.random() < 0.5 else "",
        "",
        f'option go_package = "github.com/{r.choice(WORDS)}/{pkg.split(".")[0]}/gen/go/{"/".join(pkg.split("."))};{pkg.split(".")[-2]}{pkg.split(".")[-1]}";',
        f'option java_package = "com.{pkg}";',
        "option java_multiple_files = true;",
        "",
    ]
    for e in ents:
        L.append(f"// {e} represents {'an' if e[0] in 'AEIOU' else 'a'} {e.lower()} resource.")
        L.append(f"message {e} {{")
        for i, f in enumerate(PB_ENTS[e], 1):
            L.append(f"  {f} = {i};")
        L += ["}", ""]
    for en in ["UserStatus", "OrderStatus"]:
        if any(en in f for e in ents for f in PB_ENTS[e]):
            vals = (
                ["UNSPECIFIED", "ACTIVE", "SUSPENDED", "DELETED"]
                if en == "UserStatus"
                else ["UNSPECIFIED", "PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED"]
            )
            pre = "USER_STATUS_" if en == "UserStatus" else "ORDER_STATUS_"
            L += [f"enum {en} {{"] + [f"  {pre}{v} = {i};" for i, v in enumerate(vals)] + ["}", ""]
    rpcs = []
    for e in ents:
        rpcs += [
            f"  rpc Get{e}(Get{e}Request) returns ({e});",
            f"  rpc List{e}s(List{e}sRequest) returns (List{e}sResponse);",
            f"  rpc Create{e}(Create{e}Request) returns ({e});",
            f"  rpc Delete{e}(Delete{e}Request) returns (google.protobuf.Empty);",
        ]
        L += [
            f"message Get{e}Request {{",
            "  string name = 1;",
            "}",
            "",
            f"message List{e}sRequest {{",
            "  int32 page_size = 1;",
            "  string page_token = 2;",
            "}",
            "",
            f"message List{e}sResponse {{",
            f"  repeated {e} {e.lower()}s = 1;",
            "  string next_page_token = 2;",
            "}",
            "",
        ]
    L += [f"service {svc} {{"] + rpcs + ["}"]
    text = "\n".join(L) + "\n"
    text = text.replace("\n\n\n", "\n\n")
    t = pick_target(r)
    return cut_lines(text, max(min(t + 800, MAX_LEN), 600)), "generated"


JPKG = ["com.acme.billing", "org.example.service", "io.northwind.api", "com.shop.orders", "net.telemetry.ingest"]
JCLS = [
    "OrderService",
    "PaymentController",
    "UserRepository",
    "InvoiceMapper",
    "EventHandler",
    "CacheManager",
    "RequestFilter",
    "ScheduledJob",
]
JFRAMEWORK = [
    "org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:883)",
    "javax.servlet.http.HttpServlet.service(HttpServlet.java:764)",
    "org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:227)",
    "org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:162)",
    "org.apache.tomcat.websocket.server.WsFilter.doFilter(WsFilter.java:53)",
    "org.springframework.web.filter.RequestContextFilter.doFilterInternal(RequestContextFilter.java:100)",
    "org.springframework.web.filter.OncePerRequestFilter.doFilter(OncePerRequestFilter.java:117)",
    "org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:197)",
    "org.apache.catalina.core.StandardContextValve.invoke(StandardContextValve.java:97)",
    "org.apache.catalina.authenticator.AuthenticatorBase.invoke(AuthenticatorBase.java:541)",
    "org.apache.catalina.core.StandardHostValve.invoke(StandardHostValve.java:135)",
    "org.apache.catalina.valves.ErrorReportValve.invoke(ErrorReportValve.java:92)",
    "org.apache.catalina.connector.CoyoteAdapter.service(CoyoteAdapter.java:360)",
    "org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:399)",
    "org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1789)",
    "java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)",
    "java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:635)",
    "java.base/java.lang.Thread.run(Thread.java:833)",
    "jdk.internal.reflect.GeneratedMethodAccessor212.invoke(Unknown Source)",
    "java.base/java.lang.reflect.Method.invoke(Method.java:568)",
    "org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:186)",
    "org.hibernate.engine.jdbc.spi.SqlExceptionHelper.convert(SqlExceptionHelper.java:113)",
    "com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)",
]
JEXC = [
    ("java.lang.NullPointerException", 'Cannot invoke "String.length()" because "<local{n}>" is null'),
    ("java.lang.IllegalStateException", "Transaction already completed"),
    (
        "org.springframework.dao.DataIntegrityViolationException",
        "could not execute statement; SQL [n/a]; constraint [uk_email]",
    ),
    (
        "java.sql.SQLTransientConnectionException",
        "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
    ),
    ("java.lang.IndexOutOfBoundsException", "Index {n} out of bounds for length {n}"),
    (
        "com.fasterxml.jackson.databind.exc.MismatchedInputException",
        "Cannot deserialize value of type `java.time.LocalDate`",
    ),
    ("java.util.concurrent.TimeoutException", "Timed out waiting for response after {n} ms"),
]


def gen_stack_trace(r):
    if r.random() < 0.25:
        return gen_py_trace(r)
    pkg = r.choice(JPKG)
    ts = rdate(r)
    thread = r.choice(["http-nio-8080-exec-7", "main", "pool-3-thread-1", "scheduling-1", "kafka-consumer-2"])

    def frames(n):
        fr = []
        for _i in range(n):
            c = r.choice(JCLS)
            m = r.choice(
                [
                    "process",
                    "handle",
                    "findById",
                    "apply",
                    "execute",
                    "doFilter",
                    "lambda$run$0",
                    "save",
                    "validate",
                    "map",
                ]
            )
            fr.append(
                f"\tat {pkg}.{r.choice(['service', 'web', 'repo', 'core'])}.{c}.{m}({c}.java:{r.randrange(20, 600)})"
            )
        return fr + [f"\tat {f}" for f in r.sample(JFRAMEWORK, min(len(JFRAMEWORK), r.randrange(5, 20)))]

    e, msg = r.choice(JEXC)
    L = [
        f"{ts:%Y-%m-%d %H:%M:%S}.{r.randrange(1000):03d} ERROR {r.randrange(1000, 99999)} --- [{thread}] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() for servlet [dispatcherServlet] threw exception",
        f"{e}: {msg.format(n=r.randrange(0, 40))}",
    ] + frames(r.randrange(3, 8))
    for _ in range(r.randrange(0, 3)):
        e2, m2 = r.choice(JEXC)
        L += (
            [f"Caused by: {e2}: {m2.format(n=r.randrange(0, 5000))}"]
            + frames(r.randrange(2, 5))[: r.randrange(4, 12)]
            + [
                f"\t... {r.randrange(20, 90)} common frames omitted"
                if r.random() < 0.5
                else f"\t... {r.randrange(20, 90)} more"
            ]
        )
    text = "\n".join(L) + "\n"
    if len(text) < MIN_LEN:
        text += "\n".join(frames(6)) + "\n"
    return cut_lines(text, MAX_LEN), "generated"


def gen_py_trace(r):
    app = r.choice(["myproject", "shop", "etl", "bot"])
    env = r.choice(
        [
            "/usr/lib/python3/dist-packages",
            f"/home/{username(r)}/.venv/lib/python3.11/site-packages",
            "/usr/local/lib/python3.10/site-packages",
        ]
    )
    fr = [
        (
            f"/srv/{app}/{app}/{r.choice(['views', 'tasks', 'models', 'utils', 'api'])}.py",
            r.randrange(10, 500),
            r.choice(["get", "post", "run", "process_batch", "load", "<module>"]),
            r.choice(
                [
                    "result = self.client.fetch(url, timeout=self.timeout)",
                    "return json.loads(resp.text)",
                    "row = rows[idx]",
                    "value = config['database']['host']",
                    "obj.save()",
                ]
            ),
        )
        for _ in range(r.randrange(2, 5))
    ]
    fr += [
        (f"{env}/{lib}", r.randrange(50, 2000), fn, code)
        for lib, fn, code in r.sample(
            [
                ("requests/api.py", "get", 'return request("get", url, params=params, **kwargs)'),
                ("requests/sessions.py", "request", "resp = self.send(prep, **send_kwargs)"),
                ("requests/adapters.py", "send", "raise ConnectionError(e, request=request)"),
                ("django/core/handlers/exception.py", "inner", "response = get_response(request)"),
                (
                    "django/core/handlers/base.py",
                    "_get_response",
                    "response = wrapped_callback(request, *callback_args, **callback_kwargs)",
                ),
                ("sqlalchemy/engine/base.py", "_execute_context", "self.dialect.do_execute("),
                ("urllib3/connectionpool.py", "urlopen", "retries = retries.increment("),
                ("celery/app/trace.py", "__protected_call__", "return self.run(*args, **kwargs)"),
            ],
            r.randrange(2, 6),
        )
    ]
    exc = r.choice(
        [
            "KeyError: 'database'",
            "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.example.com', port=443): Max retries exceeded with url: /v1/items (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f3a2c1d9e50>: Failed to establish a new connection: [Errno 111] Connection refused'))",
            "IndexError: list index out of range",
            "TypeError: 'NoneType' object is not subscriptable",
            "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
        ]
    )
    L = []
    for chained in range(r.choice([1, 2])):
        L.append("Traceback (most recent call last):")
        for f, ln, fn, code in fr:
            L += [f'  File "{f}", line {ln}, in {fn}', f"    {code}"]
        if chained == 0 and r.random() < 0.5:
            L += [
                exc.split(":")[0]
                .replace("requests.exceptions.", "urllib3.exceptions.")
                .replace("ConnectionError", "MaxRetryError")
                + ": "
                + exc.split(": ", 1)[1][:80],
                "",
                "During handling of the above exception, another exception occurred:",
                "",
            ]
            r.shuffle(fr)
    L.append(exc)
    text = "\n".join(L) + "\n"
    while len(text) < MIN_LEN:
        text = text + "\n" + text
    return cut_lines(text, MAX_LEN), "generated"


def gen_test_output(r):
    style = r.randrange(3)
    mods = [
        f"tests/{r.choice(['unit', 'integration', 'api', ''])}/test_{m}.py".replace("//", "/")
        for m in r.sample(
            ["models", "views", "utils", "parser", "auth", "cli", "cache", "serializers", "config", "tasks"], 5
        )
    ]
    tests = []
    for m in mods:
        for _ in range(r.randrange(4, 16)):
            name = f"test_{r.choice(['create', 'update', 'delete', 'list', 'parse', 'validate', 'render', 'get', 'handles', 'raises'])}_{r.choice(['user', 'empty_input', 'invalid_token', 'unicode', 'large_file', 'missing_field', 'default_config', 'duplicate', 'timeout', 'none'])}"
            if r.random() < 0.2:
                name += f"[{r.choice(['case0', 'utf-8', 'latin-1', '1-2-3', 'True', 'None', 'sqlite', 'postgres'])}]"
            res = r.choices(["PASSED", "FAILED", "SKIPPED", "XFAIL", "ERROR"], [88, 4, 5, 2, 1])[0]
            tests.append((m, name, res, r.uniform(0.001, 2.5)))
    target = pick_target(r)

    def render(k):
        ts = tests[:k]
        cnt = collections.Counter(t[2] for t in ts)
        dur = sum(t[3] for t in ts)
        if style in (0, 1):
            L = [
                "============================= test session starts ==============================",
                f"platform linux -- Python 3.11.{r_p}, pytest-7.4.{r_p % 5}, pluggy-1.3.0"
                + (" -- /usr/bin/python3" if style == 0 else ""),
                f"rootdir: /home/{r_u}/src/{r_proj}",
                f"configfile: {r_cfg}",
                f"plugins: {r_plug}",
                f"collected {k} items",
                "",
            ]
            if style == 0:
                for i, (m, n, res, _d) in enumerate(ts, 1):
                    L.append(f"{m}::{n} {res:<7} [{int(i * 100 / k):>3}%]")
            else:
                cur = None
                line = ""
                for _i, (m, _n, res, _d) in enumerate(ts, 1):
                    if m != cur:
                        if cur:
                            L.append(line)
                        cur, line = m, m + " "
                    line += {"PASSED": ".", "FAILED": "F", "SKIPPED": "s", "XFAIL": "x", "ERROR": "E"}[res]
                L.append(line + f"{'':>4}[{100:>3}%]")
            L.append("")
            if cnt["FAILED"]:
                L.append("=========================== short test summary info ============================")
                L += [
                    f"FAILED {m}::{n} - AssertionError: assert {r_a} == {r_a + 1}"
                    for m, n, res, d in ts
                    if res == "FAILED"
                ]
            parts = [f"{cnt[x]} {x.lower()}" for x in ["FAILED", "PASSED", "SKIPPED", "XFAIL", "ERROR"] if cnt[x]]
            L.append(
                f"================= {', '.join(parts).replace('xfail', 'xfailed').replace('error', 'errors')} in {dur:.2f}s ================="
            )
        else:
            L = [
                "[INFO] -------------------------------------------------------",
                "[INFO]  T E S T S",
                "[INFO] -------------------------------------------------------",
            ]
            by = collections.OrderedDict()
            for m, _n, res, d in ts:
                by.setdefault(m, []).append((res, d))
            for m, lst in by.items():
                cls = "com.example." + m.split("/")[-1][5:-3].capitalize() + "Test"
                f = sum(1 for x in lst if x[0] == "FAILED")
                L += [
                    f"[INFO] Running {cls}",
                    f"[{'ERROR' if f else 'INFO'}] Tests run: {len(lst)}, Failures: {f}, Errors: {sum(1 for x in lst if x[0] == 'ERROR')}, Skipped: {sum(1 for x in lst if x[0] == 'SKIPPED')}, Time elapsed: {sum(x[1] for x in lst):.3f} s{' <<< FAILURE!' if f else ''} - in {cls}",
                ]
            L += [
                "[INFO] ",
                "[INFO] Results:",
                "[INFO] ",
                f"[INFO] Tests run: {k}, Failures: {cnt['FAILED']}, Errors: {cnt['ERROR']}, Skipped: {cnt['SKIPPED']}",
                "[INFO] ",
                "[INFO] ------------------------------------------------------------------------",
                f"[INFO] BUILD {'FAILURE' if cnt['FAILED'] else 'SUCCESS'}",
                "[INFO] ------------------------------------------------------------------------",
                f"[INFO] Total time:  {dur + 4.2:.3f} s",
            ]
        return "\n".join(L) + "\n"

    r_p, r_u, r_proj = r.randrange(1, 9), username(r), r.choice(["flaskr", "acme-api", "datatool", "webshop"])
    r_cfg, r_plug, r_a = (
        r.choice(["pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini"]),
        r.choice(["cov-4.1.0, xdist-3.5.0", "django-4.7.0", "anyio-4.2.0, mock-3.12.0", "asyncio-0.23.2"]),
        r.randrange(0, 500),
    )
    return fit(render, len(tests), target, 6), "generated"


def gen_maven_pom_all():
    poms = []
    for root, dirs, files in os.walk("/usr/share/maven-repo"):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".pom") and "/debian/" not in root + "/":
                p = os.path.join(root, f)
                if not os.path.islink(p) and os.path.getsize(p) > 900:
                    poms.append(p)
    # de-duplicate by content
    seen, uniq = set(), []
    for p in poms:
        h = hashlib.md5(open(p, "rb").read()).hexdigest()
        if h not in seen:
            seen.add(h)
            uniq.append(p)
    r = random.Random("maven-pom")
    pick = r.sample(uniq, min(DOCS_PER_KIND, len(uniq)))
    out = []
    for p in pick:
        txt = open(p, encoding="utf-8", errors="replace").read()
        # drop a leading licence comment (licence texts are covered elsewhere)
        i, j = txt.find("<!--"), txt.find("-->")
        if 0 <= i < j and "icense" in txt[i:j] and "<project" in txt[j:]:
            txt = txt[:i] + txt[j + 3 :].lstrip("\n")
        rr = random.Random(p)
        out.append((cut_lines(txt, min(MAX_LEN, max(pick_target(rr) + 600, 900))), p))
    return out


def gen_compose_all():
    base = "/usr/share/X11/locale"
    files = []
    seen = set()
    for d in sorted(os.listdir(base)):
        p = os.path.join(base, d, "Compose")
        if os.path.isfile(p):
            rp = os.path.realpath(p)
            h = hashlib.md5(open(rp, "rb").read()).hexdigest()
            if h in seen or os.path.getsize(rp) < 4000:
                continue
            seen.add(h)
            files.append(rp)
    r = random.Random("compose")
    out = []
    # several chunks from the big UTF-8 table plus a few legacy-charset ones
    utf = [f for f in files if f.endswith("en_US.UTF-8/Compose")]
    others = [f for f in files if f not in utf]
    chosen = (utf * 4)[:4] + r.sample(others, min(4, len(others)))
    for i, f in enumerate(chosen):
        lines = open(f, encoding="utf-8", errors="replace").read().split("\n")
        rr = random.Random(f"compose-{i}-{f}")
        start = rr.randrange(0, max(1, len(lines) - 200))
        while start < len(lines) and not lines[start].startswith("#"):
            start += 1
        target = pick_target(rr)
        chunk, n = [], 0
        for ln in lines[start:]:
            if n + len(ln) + 1 > target:
                break
            chunk.append(ln)
            n += len(ln) + 1
        out.append(("\n".join(chunk) + "\n", f))
    return out


# ================================================================ driver
GENERATED = [  # kind, domain, fn
    ("order_confirmation", "general", gen_order_confirmation),
    ("shipping_tracking", "general", gen_shipping_tracking),
    ("tv_guide", "general", gen_tv_guide),
    ("flight_status_board", "general", gen_flight_status),
    ("real_estate_listings", "general", gen_real_estate),
    ("job_board_listings", "general", gen_job_listings),
    ("search_results_page", "general", gen_search_results),
    ("forum_thread_index", "general", gen_forum_index),
    ("comment_section", "general", gen_comment_section),
    ("song_lyrics_chorus", "general", gen_lyrics),
    ("horoscopes_page", "general", gen_horoscopes),
    ("stock_quote_table", "math", gen_stock_quotes),
    ("crypto_price_feed", "math", gen_crypto_feed),
    ("bank_statement", "math", gen_bank_statement),
    ("election_results", "math", gen_election_results),
    ("census_table", "math", gen_census_table),
    ("lottery_results", "math", gen_lottery),
    ("basketball_box_score", "math", gen_box_score),
    ("csv_export", "math", gen_csv_export),
    ("exchange_rate_table", "math", gen_exchange_rates),
    ("crontab", "code", gen_crontab),
    ("ps_top_output", "code", gen_ps_output),
    ("nginx_config", "code", gen_nginx),
    ("dockerfile", "code", gen_dockerfile),
    ("git_log_oneline", "code", gen_git_log),
    ("gettext_po_file", "code", gen_po),
    ("protobuf_schema", "code", gen_protobuf),
    ("stack_trace", "code", gen_stack_trace),
    ("test_runner_output", "code", gen_test_output),
]
SYSTEM = [
    ("ls_l_listing", "code", gen_ls_listing_all),
    ("hexdump", "code", gen_hexdump_all),
    ("maven_pom", "code", gen_maven_pom_all),
    ("x11_compose_table", "code", gen_compose_all),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the JSON-lines file to write")
    args = parser.parse_args()
    rows = []
    for kind, dom, fn in GENERATED:
        for n in range(DOCS_PER_KIND):
            r = random.Random(f"holdout-{kind}-{n}")
            text, src = fn(r)
            rows.append(
                {
                    "id": f"hold-{kind}-{n}",
                    "text": text,
                    "domain": dom,
                    "label": "boilerplate",
                    "kind": kind,
                    "source": src,
                }
            )
    for kind, dom, fn in SYSTEM:
        for n, (text, src) in enumerate(fn()):
            rows.append(
                {
                    "id": f"hold-{kind}-{n}",
                    "text": text,
                    "domain": dom,
                    "label": "boilerplate",
                    "kind": kind,
                    "source": src,
                }
            )
    bad = []
    for row in rows:
        row["text"] = row["text"].rstrip("\n") + "\n"
        L = len(row["text"])
        if not (MIN_LEN <= L <= MAX_LEN):
            bad.append((row["id"], L))
    texts = collections.Counter(r_["text"] for r_ in rows)
    dups = [t for t, c in texts.items() if c > 1]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    kc = collections.Counter(r_["kind"] for r_ in rows)
    dc = collections.Counter(r_["domain"] for r_ in rows)
    kd = collections.defaultdict(set)
    for r_ in rows:
        kd[r_["domain"]].add(r_["kind"])
    print(f"wrote {len(rows)} docs to {args.out}")
    print("per kind:")
    for k, c in sorted(kc.items()):
        ls = [len(r_["text"]) for r_ in rows if r_["kind"] == k]
        print(f"  {k:<24}{c:>3}  len {min(ls)}-{max(ls)}")
    print("per domain (docs / kinds):", {d: (dc[d], len(kd[d])) for d in sorted(dc)})
    print("out-of-range lengths:", bad or "none", "| duplicate texts:", len(dups))


if __name__ == "__main__":
    main()
