// A handler has at most 64 gates (one bit each in the gatekeeper's record).
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::User;

#[requires(role("r0"), role("r1"), role("r2"), role("r3"), role("r4"), role("r5"), role("r6"), role("r7"), role("r8"), role("r9"), role("r10"), role("r11"), role("r12"), role("r13"), role("r14"), role("r15"), role("r16"), role("r17"), role("r18"), role("r19"), role("r20"), role("r21"), role("r22"), role("r23"), role("r24"), role("r25"), role("r26"), role("r27"), role("r28"), role("r29"), role("r30"), role("r31"), role("r32"), role("r33"), role("r34"), role("r35"), role("r36"), role("r37"), role("r38"), role("r39"), role("r40"), role("r41"), role("r42"), role("r43"), role("r44"), role("r45"), role("r46"), role("r47"), role("r48"), role("r49"), role("r50"), role("r51"), role("r52"), role("r53"), role("r54"), role("r55"), role("r56"), role("r57"), role("r58"), role("r59"), role("r60"), role("r61"), role("r62"), role("r63"), role("r64"))]
fn everything(user: Authenticated<User>) {}

fn main() {}
