/*
 * Estimated MOS (mean opinion score, 1-4.5) of a voice call over a path,
 * from the RTT, jitter and loss of one measurement window: the simplified
 * ITU-T G.107 E-model in ../shared/REFERENCES.md.
 *
 *   EL = RTT + 2 jitter + 10 ms
 *   R  = 93.2 - EL/40            if EL < 160 ms
 *        93.2 - (EL - 120)/10    otherwise
 *   R -= 2.5 loss_pct;  R clamped to [0, 100]
 *   MOS = 1 + 0.035 R + 7e-6 R (R - 60)(100 - R)
 *
 * loss_pct is the loss of the same window in percent (0-100), never a
 * count or a cumulative figure.
 */
#ifndef PANTAU_MOS_H
#define PANTAU_MOS_H

/* R factor; rtt_ms and jitter_ms >= 0 (negative counts as 0). */
double mos_r_factor(double rtt_ms, double jitter_ms, double loss_pct);
/* MOS from the same inputs, 1.0 .. 4.5. */
double mos_estimate(double rtt_ms, double jitter_ms, double loss_pct);

#endif
