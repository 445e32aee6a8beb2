"""Check-ins: a checklist's check-in page and its set-up (members read; owners and managers set it up), and the
public pages a PSW reaches from an invitation, without signing in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from evidence.models import Statement
from peerplan.access import MANAGE, READ, load_check_in, load_organisation, own_statement
from peerplan.figures import tracking
from peerplan.forms.check_ins import AnswersForm, CheckInEditForm, CheckInForm, OwnStatementForm
from peerplan.notify import deliver
from peerplan.operations import check_ins
from peerplan.pages import check_ins as pages


@login_required
@require_safe
def check_in(request, pk):
    checklist, check_in, membership = load_check_in(request, pk)
    context = pages.check_in_page(checklist, tracking.today())
    return render(
        request, "peerplan/check_ins/check_in.html", {**context, "checklist": checklist, "membership": membership}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def check_in_set_up(request, pk):
    checklist, check_in, membership = load_check_in(request, pk, need=MANAGE)
    if not checklist.is_active:
        return render(request, "peerplan/check_ins/not_active.html", {"checklist": checklist}, status=409)
    if check_in is None:
        initial = {"items": list(checklist.items.applicable_challenges()), "every_weeks": 8, "open_days": 14}
        form = CheckInForm(request.POST or None, checklist=checklist, initial=initial)
    else:
        initial = {
            "items": list(check_in.items.all()),
            "emails": "\n".join(check_in.recipients.values_list("email", flat=True)),
            "every_weeks": check_in.every_weeks,
            "open_days": check_in.open_days,
            "comments_on": check_in.comments_on,
            "comments_read_by": check_in.comments_read_by,
            "threshold": check_in.threshold,
            "paused": check_in.paused,
        }
        form = CheckInEditForm(request.POST or None, checklist=checklist, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "items": data["items"],
            "emails": data["emails"],
            "every_weeks": data["every_weeks"],
            "open_days": data["open_days"],
            "comments_on": data["comments_on"],
            "comments_read_by": data["comments_read_by"],
            "threshold": data["threshold"],
        }
        if check_in is None:
            check_ins.set_up_check_in(checklist=checklist, by=request.user, today=tracking.today(), **fields)
            messages.success(request, "The check-in is set up. Its first round opens with the next scheduled run.")
        else:
            check_ins.update_check_in(check_in=check_in, paused=data["paused"], **fields)
            messages.success(request, "The check-in's settings are saved for the rounds to come.")
        if form.too_few_to_show:
            messages.warning(
                request,
                f"Fewer than {data['threshold']} people are asked, so no figures will ever show: "
                "a team this small cannot answer anonymously.",
            )
        return redirect("peerplan:check_in", pk=checklist.pk)
    return render(
        request,
        "peerplan/check_ins/set_up.html",
        {"form": form, "checklist": checklist, "check_in": check_in},
        status=400 if form.is_bound else 200,
    )


# The token in the link is the credential: no sign-in. Its path is kept out of logs and error reports
# (peerplan/lib/logs.py CREDENTIAL_IN_PATH), and the page is never cached by a browser or proxy.
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def check_in_answer(request, token):
    today = tracking.today()
    round_ = check_ins.round_for_token(token, today)
    if round_ is None:
        return render(request, "peerplan/check_ins/spent.html", status=410)
    statements = pages.answer_page(round_)
    check_in = round_.check_in
    # Bound on every POST: every answer is optional, so an empty one is still a person's answer.
    data = request.POST if request.method == "POST" else None
    form = AnswersForm(data, statements=statements, comments_on=check_in.comments_on)
    if request.method == "POST" and form.is_valid():
        answered = check_ins.answer_round(
            token=token, answers=form.answers(), comment=form.cleaned_data.get("comment", ""), today=today
        )
        if answered is None:  # used in another tab a moment ago, or the round closed meanwhile
            return render(request, "peerplan/check_ins/spent.html", status=410)
        return render(request, "peerplan/check_ins/thanks.html", {"round": round_})
    return render(
        request,
        "peerplan/check_ins/answer.html",
        {"form": form, "round": round_, "check_in": check_in, "organisation": check_in.checklist.organisation},
        status=400 if form.is_bound else 200,
    )


# Mail programs' one-click unsubscribe (RFC 8058) POSTs without a CSRF token; the signed token is the credential.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def check_in_stop(request, token):
    recipient = deliver.read_check_in_unsubscribe_token(token)
    if recipient is None:
        return render(request, "peerplan/check_ins/stop.html", {"invalid": True}, status=404)
    if request.method == "POST":
        check_ins.unsubscribe_recipient(recipient=recipient, now=timezone.now())
    return render(
        request,
        "peerplan/check_ins/stop.html",
        {"done": recipient.unsubscribed_at is not None, "organisation": recipient.check_in.checklist.organisation},
    )


@require_safe
def check_ins_about(request):
    return render(request, "peerplan/check_ins/about.html")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def own_statements(request, slug):
    """The service's own check-in statements: every member reads them; owners and managers add and retire them."""
    organisation, membership = load_organisation(request, slug, need=MANAGE if request.method == "POST" else READ)
    form = OwnStatementForm(request.POST if "text" in request.POST else None, organisation=organisation)
    if request.method == "POST" and "retire" in request.POST:
        statement = own_statement(organisation, request.POST.get("retire"))
        check_ins.retire_own_statement(statement=statement)
        messages.success(request, f"“{statement.text}” is no longer asked in new rounds.")
        return redirect("peerplan:own_statements", slug=organisation.slug)
    if request.method == "POST" and form.is_valid():
        check_ins.add_own_statement(organisation=organisation, **form.cleaned_data)
        messages.success(request, "The statement is added: new rounds of check-ins on its challenge ask it.")
        return redirect("peerplan:own_statements", slug=organisation.slug)
    statements = (
        Statement.objects.filter(organisation=organisation)
        .select_related("theme")
        .order_by("theme__category__source", "theme__category__position", "theme__position", "position")
    )
    return render(
        request,
        "peerplan/check_ins/own_statements.html",
        {"organisation": organisation, "membership": membership, "form": form, "statements": statements},
        status=400 if form.is_bound else 200,
    )
