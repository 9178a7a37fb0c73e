//! DateTime (spec 07 §7.5): `gene/datetime/*`, `gene/now`, `gene/today`
//! and the methods of `DateTime`, on `jiff`.
//!
//! A DateTime is a `jiff::Zoned` (an instant with a time zone) in a
//! [`HostValue`] object. Decisions (spec 07 §7.11 and beyond):
//! * `.to_s` (also the display and repr form) is RFC 3339 with the offset
//!   written `+00:00` (never `Z`) and fractional seconds only when
//!   non-zero, without trailing zeros.
//! * `parse` without a format reads RFC 3339 / ISO 8601 (`2026-12-02`,
//!   `2026-12-02T05:35:22`, with an offset or `Z`, with a `[Area/City]`
//!   annotation); an offset becomes a fixed-offset zone, no offset means
//!   UTC. With a `strftime` format, the same defaults apply.
//! * `.add ^days` adds calendar days (a day across a DST change is 23 or
//!   25 hours); `^hours ^minutes ^seconds` add exact time; all are Ints but
//!   `^seconds`, which may be a Float.
//! * Comparison and `==` are by instant, whatever the zones.

use super::arg;
use crate::errors::VmResult;
use crate::vm::{new_class, Vm};
use gene_core::heap::{self, Obj};
use gene_core::object::{HostValue, PropMap};
use gene_core::{ErrorKind, Symbol, Value};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp, Zoned};
use std::cell::Cell;
use std::cmp::Ordering;
use std::fmt::Write as _;

thread_local! {
    static CLASS: Cell<Value> = const { Cell::new(Value::NIL) };
}

/// A DateTime value's payload.
pub struct DateTime(pub Zoned);

impl HostValue for DateTime {
    fn class(&self) -> Value {
        CLASS.with(Cell::get)
    }

    fn type_name(&self) -> &'static str {
        "DateTime"
    }

    fn write(&self, out: &mut String, _repr: bool) {
        write_rfc3339(out, &self.0);
    }

    fn compare(&self, other: &dyn HostValue) -> Option<Ordering> {
        let other = other.as_any().downcast_ref::<DateTime>()?;
        Some(self.0.timestamp().cmp(&other.0.timestamp()))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// RFC 3339: `2026-12-02T05:35:22.5+01:00`.
fn write_rfc3339(out: &mut String, z: &Zoned) {
    let year = z.year();
    if year < 0 {
        let _ = write!(out, "-{:06}", -(year as i32));
    } else {
        let _ = write!(out, "{year:04}");
    }
    let _ = write!(
        out,
        "-{:02}-{:02}T{:02}:{:02}:{:02}",
        z.month(),
        z.day(),
        z.hour(),
        z.minute(),
        z.second()
    );
    let nanos = z.subsec_nanosecond();
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    let offset = z.offset().seconds();
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    let _ = write!(out, "{sign}{:02}:{:02}", abs / 3600, abs / 60 % 60);
    if !abs.is_multiple_of(60) {
        let _ = write!(out, ":{:02}", abs % 60);
    }
}

/// A new DateTime value.
pub fn value(z: Zoned) -> Value {
    heap::alloc(Obj::Host(Box::new(DateTime(z))))
}

/// The DateTime of a file time, in the local zone (`gene/fs/modified`).
pub fn from_system_time(vm: &mut Vm, t: std::time::SystemTime) -> VmResult {
    match Timestamp::try_from(t) {
        Ok(ts) => Ok(value(ts.to_zoned(TimeZone::system()))),
        Err(e) => Err(vm.error(
            ErrorKind::ArgumentError,
            format!("time out of the DateTime range: {e}"),
        )),
    }
}

pub fn install(vm: &mut Vm) {
    let class = new_class("DateTime", vm.classes.object, vm.gene_ns, true);
    CLASS.with(|c| c.set(class));
    vm.define_builtin("DateTime", class);

    let ns = vm.builtin_namespace("datetime");
    vm.def_fn_in(ns, "now", now);
    vm.def_fn_in(ns, "utc_now", |_, _, _, _| {
        Ok(value(Timestamp::now().to_zoned(TimeZone::UTC)))
    });
    vm.def_fn_in(ns, "from_timestamp", from_timestamp);
    vm.def_fn_in(ns, "parse", parse);
    vm.def_fn_in(ns, "new", new);
    vm.def_fn("now", now);
    vm.def_fn("today", now);

    let methods: [(&str, super::NativeFn); 16] = [
        ("year", |vm, this, _, _| {
            int(vm, this, "year", |z| z.year() as i64)
        }),
        ("month", |vm, this, _, _| {
            int(vm, this, "month", |z| z.month() as i64)
        }),
        ("day", |vm, this, _, _| {
            int(vm, this, "day", |z| z.day() as i64)
        }),
        ("hour", |vm, this, _, _| {
            int(vm, this, "hour", |z| z.hour() as i64)
        }),
        ("minute", |vm, this, _, _| {
            int(vm, this, "minute", |z| z.minute() as i64)
        }),
        ("second", |vm, this, _, _| {
            int(vm, this, "second", |z| z.second() as i64)
        }),
        ("nanosecond", |vm, this, _, _| {
            int(vm, this, "nanosecond", |z| z.subsec_nanosecond() as i64)
        }),
        ("weekday", |vm, this, _, _| {
            int(vm, this, "weekday", |z| {
                z.weekday().to_monday_one_offset() as i64
            })
        }),
        ("day_of_year", |vm, this, _, _| {
            int(vm, this, "day_of_year", |z| z.day_of_year() as i64)
        }),
        ("timestamp", |vm, this, _, _| {
            let z = receiver(vm, this, "timestamp")?;
            Ok(Value::float(seconds(z.timestamp())))
        }),
        ("format", format),
        ("to_s", |vm, this, _, _| {
            let z = receiver(vm, this, "to_s")?;
            let mut out = String::new();
            write_rfc3339(&mut out, z);
            Ok(heap::string(out))
        }),
        ("add", add),
        ("diff", diff),
        ("to_utc", |vm, this, _, _| {
            let z = receiver(vm, this, "to_utc")?;
            Ok(value(z.with_time_zone(TimeZone::UTC)))
        }),
        ("in_tz", in_tz),
    ];
    for (name, f) in methods {
        vm.def_method(class, name, f);
    }
}

/// Float seconds since the epoch.
fn seconds(ts: Timestamp) -> f64 {
    ts.as_second() as f64 + ts.subsec_nanosecond() as f64 / 1e9
}

/// The receiver's instant and zone.
fn receiver<'a>(vm: &Vm, this: Value, method: &str) -> VmResult<&'a Zoned> {
    if let Some(Obj::Host(h)) = this.obj() {
        if let Some(d) = h.as_any().downcast_ref::<DateTime>() {
            return Ok(&d.0);
        }
    }
    Err(vm.bad_receiver(&format!(".{method}"), "DateTime", this))
}

fn int(vm: &Vm, this: Value, method: &str, f: fn(&Zoned) -> i64) -> VmResult {
    Ok(Value::int(f(receiver(vm, this, method)?)))
}

fn argument_error(vm: &Vm, message: String) -> Value {
    vm.error(ErrorKind::ArgumentError, message)
}

/// `gene/datetime/now`: now, in the local zone (`TZ`, else the system's).
fn now(_: &mut Vm, _: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(value(Zoned::now()))
}

/// The zone named `name` (an IANA name, or `UTC`).
fn zone(vm: &Vm, who: &str, name: Value) -> VmResult<TimeZone> {
    let Some(text) = name.as_str() else {
        return Err(vm.bad_argument(&format!("{who}: expected a time zone name (String)"), name));
    };
    if text == "UTC" {
        return Ok(TimeZone::UTC);
    }
    TimeZone::get(text).map_err(|_| {
        argument_error(
            vm,
            format!("{who}: unknown time zone '{text}' (expected an IANA name such as \"Europe/Paris\")"),
        )
    })
}

/// `(gene/datetime/from_timestamp secs [tz])`.
fn from_timestamp(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/datetime/from_timestamp";
    let secs = arg(args, 0);
    let ts = match (secs.as_int(), secs.as_float()) {
        (Some(i), _) => Timestamp::from_second(i).ok(),
        (_, Some(f)) if f.is_finite() => SignedDuration::try_from_secs_f64(f)
            .ok()
            .and_then(|d| Timestamp::from_duration(d).ok()),
        (_, Some(_)) => None,
        _ => return Err(vm.bad_argument(&format!("{WHO}: expected seconds (Int or Float)"), secs)),
    };
    let Some(ts) = ts else {
        return Err(argument_error(
            vm,
            format!(
                "{WHO}: {} is out of the DateTime range",
                gene_core::print::display(secs)
            ),
        ));
    };
    let tz = match args.get(1) {
        Some(name) => zone(vm, WHO, *name)?,
        None => TimeZone::UTC,
    };
    Ok(value(ts.to_zoned(tz)))
}

/// `(gene/datetime/parse s [fmt])`.
fn parse(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/datetime/parse";
    let s = arg(args, 0);
    let Some(text) = s.as_str() else {
        return Err(vm.bad_argument(&format!("{WHO}: expected a String to parse"), s));
    };
    let parsed = match args.get(1) {
        None => parse_iso(text),
        Some(fmt) => {
            let Some(fmt) = fmt.as_str() else {
                return Err(vm.bad_argument(&format!("{WHO}: expected a format String"), *fmt));
            };
            parse_format(text, fmt)
        }
    };
    parsed
        .map(value)
        .map_err(|e| argument_error(vm, format!("{WHO}: cannot parse {text:?}: {e}")))
}

/// RFC 3339 / ISO 8601, keeping an offset as a fixed-offset zone.
fn parse_iso(text: &str) -> Result<Zoned, jiff::Error> {
    use jiff::fmt::temporal::{Pieces, PiecesOffset};
    let pieces = Pieces::parse(text)?;
    let civil = pieces.date().to_datetime(pieces.time().unwrap_or_default());
    if pieces.time_zone_annotation().is_some() {
        if let Some(tz) = pieces.to_time_zone()? {
            return civil.to_zoned(tz);
        }
    }
    let offset = match pieces.offset() {
        Some(PiecesOffset::Numeric(n)) => n.offset(),
        _ => Offset::UTC,
    };
    let tz = if offset == Offset::UTC {
        TimeZone::UTC
    } else {
        TimeZone::fixed(offset)
    };
    civil.to_zoned(tz)
}

/// A `strftime` format; without an offset or zone in it, UTC.
fn parse_format(text: &str, fmt: &str) -> Result<Zoned, jiff::Error> {
    let broken = jiff::fmt::strtime::parse(fmt, text)?;
    if broken.iana_time_zone().is_some() {
        return broken.to_zoned();
    }
    let tz = match broken.offset() {
        Some(o) if o != Offset::UTC => TimeZone::fixed(o),
        _ => TimeZone::UTC,
    };
    broken.to_datetime()?.to_zoned(tz)
}

/// Named Int property `name`, or `default` when absent.
fn int_prop(
    vm: &Vm,
    props: Option<&PropMap>,
    who: &str,
    name: &str,
    default: Option<i64>,
) -> VmResult<i64> {
    match props.and_then(|p| p.get(&Symbol::intern(name))) {
        Some(v) => v
            .as_int()
            .ok_or_else(|| vm.bad_argument(&format!("{who}: ^{name} must be an Int"), *v)),
        None => default.ok_or_else(|| argument_error(vm, format!("{who}: ^{name} is required"))),
    }
}

/// `(gene/datetime/new ^year ^month ^day [^hour ^minute ^second ^tz])`.
fn new(vm: &mut Vm, _: Value, args: &[Value], props: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/datetime/new";
    if let Some(extra) = args.first() {
        return Err(vm.bad_argument(
            &format!("{WHO}: takes named properties only (^year ^month ^day ...)"),
            *extra,
        ));
    }
    let year = int_prop(vm, props, WHO, "year", None)?;
    let month = int_prop(vm, props, WHO, "month", None)?;
    let day = int_prop(vm, props, WHO, "day", None)?;
    let hour = int_prop(vm, props, WHO, "hour", Some(0))?;
    let minute = int_prop(vm, props, WHO, "minute", Some(0))?;
    let second = int_prop(vm, props, WHO, "second", Some(0))?;
    let tz = match props.and_then(|p| p.get(&Symbol::intern("tz"))) {
        Some(name) => zone(vm, WHO, *name)?,
        None => TimeZone::UTC,
    };
    let fields = (
        i16::try_from(year),
        i8::try_from(month),
        i8::try_from(day),
        i8::try_from(hour),
        i8::try_from(minute),
        i8::try_from(second),
    );
    let civil = match fields {
        (Ok(y), Ok(mo), Ok(d), Ok(h), Ok(mi), Ok(s)) => {
            jiff::civil::DateTime::new(y, mo, d, h, mi, s, 0)
        }
        _ => jiff::civil::DateTime::new(i16::MAX, 0, 0, 0, 0, 0, 0),
    };
    civil
        .and_then(|c| c.to_zoned(tz))
        .map(value)
        .map_err(|_| {
            argument_error(
                vm,
                format!(
                    "{WHO}: invalid date or time {year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"
                ),
            )
        })
}

/// `.format fmt`: `strftime`.
fn format(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let z = receiver(vm, this, "format")?;
    let fmt = arg(args, 0);
    let Some(text) = fmt.as_str() else {
        return Err(vm.bad_argument(".format: expected a format String", fmt));
    };
    jiff::fmt::strtime::format(text, z)
        .map(heap::string)
        .map_err(|e| argument_error(vm, format!(".format: bad format {text:?}: {e}")))
}

/// `.add [^days] [^hours] [^minutes] [^seconds]`.
fn add(vm: &mut Vm, this: Value, args: &[Value], props: Option<&PropMap>) -> VmResult {
    const WHO: &str = ".add";
    let z = receiver(vm, this, "add")?;
    if let Some(extra) = args.first() {
        return Err(vm.bad_argument(
            &format!("{WHO}: takes named properties only (^days ^hours ^minutes ^seconds)"),
            *extra,
        ));
    }
    if let Some(p) = props {
        for k in p.keys() {
            if !["days", "hours", "minutes", "seconds"].contains(&k.name()) {
                return Err(argument_error(
                    vm,
                    format!(
                        "{WHO}: unknown property ^{} (expected ^days ^hours ^minutes ^seconds)",
                        k.name()
                    ),
                ));
            }
        }
    }
    let days = int_prop(vm, props, WHO, "days", Some(0))?;
    let hours = int_prop(vm, props, WHO, "hours", Some(0))?;
    let minutes = int_prop(vm, props, WHO, "minutes", Some(0))?;
    let seconds = props
        .and_then(|p| p.get(&Symbol::intern("seconds")))
        .copied()
        .unwrap_or(Value::int(0));
    let secs = match (seconds.as_int(), seconds.as_float()) {
        (Some(i), _) => Some(SignedDuration::from_secs(i)),
        (_, Some(f)) => SignedDuration::try_from_secs_f64(f).ok(),
        _ => {
            return Err(vm.bad_argument(
                &format!("{WHO}: ^seconds must be an Int or a Float"),
                seconds,
            ))
        }
    };
    let exact = secs.and_then(|s| {
        SignedDuration::from_hours(0)
            .checked_add(SignedDuration::try_from_hours(hours)?)?
            .checked_add(SignedDuration::try_from_mins(minutes)?)?
            .checked_add(s)
    });
    let result = exact.and_then(|d| {
        let span = jiff::Span::new().try_days(days).ok()?;
        z.checked_add(span).ok()?.checked_add(d).ok()
    });
    result.map(value).ok_or_else(|| {
        argument_error(
            vm,
            format!("{WHO}: the result is out of the DateTime range"),
        )
    })
}

/// `.diff other`: Float seconds, receiver minus other.
fn diff(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let z = receiver(vm, this, "diff")?;
    let other = arg(args, 0);
    let Ok(o) = receiver(vm, other, "diff") else {
        return Err(vm.bad_argument(".diff: expected a DateTime", other));
    };
    let nanos = z.timestamp().as_nanosecond() - o.timestamp().as_nanosecond();
    Ok(Value::float(nanos as f64 / 1e9))
}

/// `.in_tz "Area/City"`.
fn in_tz(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let z = receiver(vm, this, "in_tz")?;
    let tz = zone(vm, ".in_tz", arg(args, 0))?;
    Ok(value(z.with_time_zone(tz)))
}
