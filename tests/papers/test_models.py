import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from papers.models import Paper


@pytest.mark.django_db
def test_it_stores_the_arxiv_id_without_version():
    paper = Paper.objects.create(title="DPO", arxiv_id="https://arxiv.org/abs/2305.18290v3")
    paper.refresh_from_db()
    assert paper.arxiv_id == "2305.18290"
    assert paper.link == "https://arxiv.org/abs/2305.18290"


@pytest.mark.django_db
def test_it_refuses_a_second_paper_with_the_same_arxiv_id_in_another_spelling():
    Paper.objects.create(title="DPO", arxiv_id="2305.18290")
    with pytest.raises(IntegrityError):
        Paper.objects.create(title="DPO again", arxiv_id="arXiv:2305.18290v2")


@pytest.mark.django_db
def test_it_allows_many_papers_without_arxiv_id_or_doi():
    Paper.objects.create(title="One")
    Paper.objects.create(title="Two")
    assert Paper.objects.filter(arxiv_id="", doi="").count() == 2


@pytest.mark.django_db
def test_it_refuses_a_duplicate_doi_whatever_its_case():
    Paper.objects.create(title="A", doi="10.1145/ABC")
    with pytest.raises(IntegrityError):
        Paper.objects.create(title="B", doi="https://doi.org/10.1145/abc")


def test_it_explains_a_malformed_arxiv_id_in_the_form_error():
    paper = Paper(title="X", arxiv_id="arxiv 2401")
    with pytest.raises(ValidationError) as error:
        paper.clean()
    assert "arxiv_id" in error.value.message_dict


def test_it_splits_authors_one_per_line():
    paper = Paper(title="X", authors="Ashish Vaswani\n  Noam Shazeer \n\n张三")
    assert paper.author_list == ["Ashish Vaswani", "Noam Shazeer", "张三"]
