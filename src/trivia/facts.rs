//! Facts the server works out about any `i64` when no upstream trivia is to be had. Every check is
//! bounded (no trial division past a million), so any number answers fast.

/// Trial division stops here; a cofactor left above it is named, not factored.
const TRIAL_DIVISION_LIMIT: u64 = 1_000_000;

/// The perfect numbers that fit in an i64 (there are only eight).
const PERFECT_NUMBERS: [u64; 8] = [
    6,
    28,
    496,
    8_128,
    33_550_336,
    8_589_869_056,
    137_438_691_328,
    2_305_843_008_139_952_128,
];

pub fn describe(number: i64) -> String {
    let magnitude = number.unsigned_abs();
    let mut facts = vec![format!(
        "{number} is {} {} number.",
        if number % 2 == 0 { "an even" } else { "an odd" },
        if number < 0 {
            "negative"
        } else if number == 0 {
            "whole"
        } else {
            "positive"
        },
    )];
    let subject = if number < 0 {
        format!("Its absolute value, {magnitude},")
    } else {
        "It".to_owned()
    };
    facts.push(match magnitude {
        0 | 1 => format!("{subject} is neither prime nor composite."),
        _ if is_prime(magnitude) => format!("{subject} is prime."),
        _ => format!(
            "{subject} is composite: {magnitude} = {}.",
            factorization(magnitude)
        ),
    });
    let mut shapes = Vec::new();
    if let Some(root) = square_root(number) {
        shapes.push(format!("a perfect square ({root}²)"));
    }
    if let Some(root) = cube_root(number) {
        shapes.push(format!("a perfect cube ({root}³)"));
    }
    if number >= 0 && is_fibonacci(magnitude) {
        shapes.push("a Fibonacci number".to_owned());
    }
    if number > 0 && PERFECT_NUMBERS.contains(&magnitude) {
        shapes.push("a perfect number (the sum of its proper divisors)".to_owned());
    }
    if !shapes.is_empty() {
        facts.push(format!("It is {}.", join_with_and(&shapes)));
    }
    facts.push(format!(
        "In binary it is {}{magnitude:b}.",
        if number < 0 { "-" } else { "" }
    ));
    if let Some(roman) = roman_numeral(number) {
        facts.push(format!("In Roman numerals it is {roman}."));
    }
    facts.join(" ")
}

fn join_with_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Deterministic Miller–Rabin: these twelve bases decide every 64-bit number.
pub fn is_prime(n: u64) -> bool {
    const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    if n < 2 {
        return false;
    }
    for &p in &BASES {
        if n.is_multiple_of(p) {
            return n == p;
        }
    }
    let mut d = n - 1;
    let mut r = 0;
    while d.is_multiple_of(2) {
        d /= 2;
        r += 1;
    }
    'witness: for &a in &BASES {
        let mut x = pow_mod(a, d, n);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..r {
            x = mul_mod(x, x, n);
            if x == n - 1 {
                continue 'witness;
            }
        }
        return false;
    }
    true
}

fn mul_mod(a: u64, b: u64, m: u64) -> u64 {
    (u128::from(a) * u128::from(b) % u128::from(m)) as u64
}

fn pow_mod(mut base: u64, mut exponent: u64, m: u64) -> u64 {
    let mut result = 1;
    base %= m;
    while exponent > 0 {
        if exponent & 1 == 1 {
            result = mul_mod(result, base, m);
        }
        base = mul_mod(base, base, m);
        exponent >>= 1;
    }
    result
}

/// `2³ × 3 × 7` for a composite `n`; a leftover past [`TRIAL_DIVISION_LIMIT`] is not factored.
fn factorization(mut n: u64) -> String {
    let mut factors: Vec<(u64, u32)> = Vec::new();
    let mut divisor = 2;
    while divisor <= TRIAL_DIVISION_LIMIT && divisor * divisor <= n {
        let mut exponent = 0;
        while n.is_multiple_of(divisor) {
            n /= divisor;
            exponent += 1;
        }
        if exponent > 0 {
            factors.push((divisor, exponent));
        }
        divisor += if divisor == 2 { 1 } else { 2 };
    }
    let mut parts: Vec<String> = factors
        .iter()
        .map(|&(p, e)| {
            if e == 1 {
                p.to_string()
            } else {
                format!("{p}{}", superscript(e))
            }
        })
        .collect();
    if n > 1 {
        parts.push(if is_prime(n) {
            n.to_string()
        } else {
            format!("{n} (composite)")
        });
    }
    parts.join(" × ")
}

fn superscript(n: u32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    n.to_string()
        .chars()
        .map(|digit| DIGITS[digit.to_digit(10).unwrap_or(0) as usize])
        .collect()
}

fn square_root(n: i64) -> Option<u64> {
    let n = u64::try_from(n).ok()?;
    let root = n.isqrt();
    (root * root == n).then_some(root)
}

fn cube_root(n: i64) -> Option<i64> {
    let estimate = (n as f64).cbrt().round() as i64;
    (estimate - 1..=estimate + 1).find(|root| root.checked_pow(3) == Some(n))
}

fn is_fibonacci(n: u64) -> bool {
    let (mut a, mut b) = (0u64, 1u64);
    while a < n {
        let Some(next) = a.checked_add(b) else {
            return false;
        };
        (a, b) = (b, next);
    }
    a == n
}

/// Roman numerals exist for 1 to 3999.
fn roman_numeral(n: i64) -> Option<String> {
    const NUMERALS: [(i64, &str); 13] = [
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
    ];
    if !(1..=3999).contains(&n) {
        return None;
    }
    let mut rest = n;
    let mut roman = String::new();
    for (value, numeral) in NUMERALS {
        while rest >= value {
            roman.push_str(numeral);
            rest -= value;
        }
    }
    Some(roman)
}
